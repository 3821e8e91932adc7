package spartan.core.service;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import spartan.core.spi.PendingChatRequests;

/**
 * Pending chat requests, per target user, until answered or expired. Held in memory: a request
 * is a nudge, not a message, so losing it on restart costs the requester one retry.
 */
final class ChatRequests implements PendingChatRequests {
  static final int MAX_PER_TARGET = 64;
  static final Duration TTL = Duration.ofDays(1);

  private final Clock clock;
  private final Map<String, LinkedHashMap<String, Instant>> byTarget = new HashMap<>();

  ChatRequests(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized void add(String from, String to) {
    LinkedHashMap<String, Instant> pending = byTarget.computeIfAbsent(to, k -> new LinkedHashMap<>());
    pending.remove(from); // re-asking moves it to the end
    pending.put(from, clock.instant());
    if (pending.size() > MAX_PER_TARGET) {
      Iterator<String> oldest = pending.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /** Removes the request from {@code from} to {@code to}; false if there was none. */
  @Override
  public synchronized boolean remove(String from, String to) {
    LinkedHashMap<String, Instant> pending = byTarget.get(to);
    if (pending == null) {
      return false;
    }
    Instant at = pending.remove(from);
    if (pending.isEmpty()) {
      byTarget.remove(to);
    }
    return at != null && !expired(at);
  }

  /** The users with a live request to {@code to}, oldest first. */
  @Override
  public synchronized List<String> pendingFor(String to) {
    LinkedHashMap<String, Instant> pending = byTarget.get(to);
    if (pending == null) {
      return List.of();
    }
    pending.values().removeIf(this::expired);
    return new ArrayList<>(pending.keySet());
  }

  /** Forgets every request to or from {@code user} (account deleted). */
  @Override
  public synchronized void forget(String user) {
    byTarget.remove(user);
    byTarget.values().forEach(p -> p.remove(user));
    byTarget.values().removeIf(Map::isEmpty);
  }

  private boolean expired(Instant at) {
    return at.plus(TTL).isBefore(clock.instant());
  }
}
