package spartan.core.service;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The live sessions of this node, by token id and by user: where logins register, logouts
 * remove, and {@link DeliveryRouter} looks up whom to push to. A user's set is changed only under
 * that set's lock, so a login never adds to a set that a concurrent logout is dropping.
 * Thread-safe.
 */
final class SessionRegistry {
  private final ConcurrentHashMap<String, LocalSession> byId = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<LocalSession>> byUser = new ConcurrentHashMap<>();

  /**
   * Registers the session {@code open} makes for {@code user}; {@code open} runs under the
   * user's set lock and sees the user's current sessions (it may remove some with {@link
   * #remove} to make room), and may throw to refuse.
   */
  LocalSession add(String user, Function<Set<LocalSession>, LocalSession> open) {
    while (true) {
      Set<LocalSession> mine = byUser.computeIfAbsent(user, k -> ConcurrentHashMap.newKeySet());
      synchronized (mine) {
        if (byUser.get(user) != mine) {
          continue; // emptied and dropped by a concurrent removal: use the current set
        }
        LocalSession s = open.apply(mine);
        byId.put(s.tokenId, s);
        mine.add(s);
        return s;
      }
    }
  }

  /**
   * Removes a session under its user's set lock, dropping an emptied set only when asked (a
   * caller inside {@link #add}'s {@code open} holds the set and keeps it).
   */
  void remove(LocalSession s, boolean dropEmptySet) {
    byId.remove(s.tokenId, s);
    Set<LocalSession> mine = byUser.get(s.user());
    if (mine != null) {
      synchronized (mine) {
        mine.remove(s);
        if (dropEmptySet && mine.isEmpty()) {
          byUser.remove(s.user(), mine);
        }
      }
    }
  }

  LocalSession byTokenId(String id) {
    return byId.get(id);
  }

  /** The live sessions of {@code user} now (a weakly consistent view; empty if none). */
  Collection<LocalSession> of(String user) {
    Set<LocalSession> mine = byUser.get(user);
    return mine == null ? List.of() : mine;
  }

  /** A snapshot of every session. */
  List<LocalSession> all() {
    return List.copyOf(byId.values());
  }

  int size() {
    return byId.size();
  }
}
