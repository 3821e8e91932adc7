package spartan.core.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.Names;

/**
 * A {@link ChatStore} held in memory, for tests and throwaway demos: nothing survives a restart.
 * One lock guards everything; appends complete before {@code append} returns.
 *
 * <p>Memory is bounded by use, not by time: each conversation keeps its newest {@link
 * #DEFAULT_HISTORY} messages of history (older ones are forgotten, as is their {@code
 * clientMsgId}), and an inbox holds what its user has not acknowledged. Keeping every message
 * made a long-running memory server grow without limit, and made the garbage collector copy the
 * whole history again and again (long young pauses under load; the figure is in BENCHMARKS.md).
 */
public final class MemoryChatStore implements ChatStore {
  /** Messages of history kept per conversation by {@link #MemoryChatStore()}. */
  public static final int DEFAULT_HISTORY = 1000;

  private final int historyPerConversation;

  private final Object lock = new Object();
  private final TreeMap<String, AccountRecord> accounts = new TreeMap<>();
  private final TreeMap<String, Group> groups = new TreeMap<>();
  private final Map<String, Inbox> inboxes = new HashMap<>();
  private final Map<String, TreeMap<Long, Message>> conversations = new HashMap<>();
  private final Map<String, Message> byClientId = new HashMap<>();
  private final Map<String, byte[]> keys = new HashMap<>();
  private AuthMode authMode;
  private long nextAccountId = 1;
  private long nextGroupId = 1;
  private long nextMessageId = 1;
  private long nextJoin = 1;

  /** A store keeping the newest {@link #DEFAULT_HISTORY} messages of each conversation. */
  public MemoryChatStore() {
    this(DEFAULT_HISTORY);
  }

  /** A store keeping the newest {@code historyPerConversation} messages of each conversation. */
  public MemoryChatStore(int historyPerConversation) {
    if (historyPerConversation < 1) {
      throw new IllegalArgumentException(
          "historyPerConversation must be positive, was " + historyPerConversation);
    }
    this.historyPerConversation = historyPerConversation;
  }

  private static final class Group {
    final long id;
    final String name;
    GroupPolicy policy;
    long sharedSince;
    final TreeMap<String, MemberRecord> members = new TreeMap<>();
    /** Pending invitations: invitee to invitation, oldest first. */
    final LinkedHashMap<String, GroupInvite> invites = new LinkedHashMap<>();
    final Instant createdAt;

    Group(long id, String name, GroupPolicy policy, Instant createdAt) {
      this.id = id;
      this.name = name;
      this.policy = policy;
      this.createdAt = createdAt;
    }

    GroupRecord record() {
      return new GroupRecord(id, name, policy, new ArrayList<>(members.values()), createdAt);
    }
  }

  private static final class Inbox {
    final TreeMap<Long, Message> entries = new TreeMap<>();
    long lastSeq;
    long acked;
  }

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    synchronized (lock) {
      if (accounts.containsKey(user)) {
        throw ChatException.exists("User already exists: " + user + ".");
      }
      AccountRecord a = new AccountRecord(nextAccountId++, user, passwordHash, createdAt);
      accounts.put(user, a);
      inboxes.put(user, new Inbox());
      return a;
    }
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    synchronized (lock) {
      return Optional.ofNullable(accounts.get(user));
    }
  }

  @Override
  public long passwordAccounts() {
    synchronized (lock) {
      return accounts.values().stream().filter(a -> a.passwordHash() != null).count();
    }
  }

  @Override
  public Optional<AuthMode> recordedAuthMode() {
    synchronized (lock) {
      return Optional.ofNullable(authMode);
    }
  }

  @Override
  public void recordAuthMode(AuthMode mode) {
    synchronized (lock) {
      authMode = java.util.Objects.requireNonNull(mode, "mode");
    }
  }

  @Override
  public boolean deleteAccount(String user) {
    synchronized (lock) {
      if (accounts.remove(user) == null) {
        return false;
      }
      inboxes.remove(user);
      keys.remove(user);
      byClientId.keySet().removeIf(k -> k.startsWith(user + "\0"));
      for (Group g : groups.values()) {
        g.invites.remove(user);
        g.invites.values().removeIf(i -> i.by().equals(user)); // the name may be taken again
        String heir = g.record().successorOf(user);
        if (heir != null) {
          MemberRecord m = g.members.get(heir);
          g.members.put(heir, new MemberRecord(heir, GroupRole.OWNER, m.since(), m.joined()));
        }
      }
      groups.values().removeIf(g -> g.members.remove(user) != null && g.members.isEmpty());
      return true;
    }
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    synchronized (lock) {
      var tail = after == null ? accounts.navigableKeySet() : accounts.navigableKeySet().tailSet(after, false);
      List<String> out = new ArrayList<>();
      for (String name : tail) {
        if (Names.globMatches(glob, name)) {
          out.add(name);
          if (out.size() == limit) {
            break;
          }
        }
      }
      return out;
    }
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    synchronized (lock) {
      if (!accounts.containsKey(user)) {
        throw ChatException.notFound("No such user: " + user + ".");
      }
      keys.put(user, bundle.clone());
    }
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    synchronized (lock) {
      byte[] k = keys.get(user);
      return Optional.ofNullable(k == null ? null : k.clone());
    }
  }

  @Override
  public GroupRecord createGroup(String group, String owner, GroupPolicy policy, Instant createdAt) {
    synchronized (lock) {
      if (groups.containsKey(group)) {
        throw ChatException.exists("Group already exists: " + group + ".");
      }
      requireAccount(owner);
      Group g = new Group(nextGroupId++, group, policy, createdAt);
      g.members.put(owner, new MemberRecord(owner, GroupRole.OWNER, nextMessageId - 1, nextJoin++));
      groups.put(group, g);
      return g.record();
    }
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    synchronized (lock) {
      Group g = groups.get(group);
      return Optional.ofNullable(g == null ? null : g.record());
    }
  }

  @Override
  public boolean addMember(
      String group, String user, GroupRole role, long since, int maxGroupSize) {
    synchronized (lock) {
      Group g = existing(group);
      requireAccount(user);
      if (g.members.containsKey(user)) {
        g.invites.remove(user);
        return false;
      }
      if (g.members.size() >= maxGroupSize) {
        throw ChatException.invalid(ChatStore.groupFull(group, maxGroupSize));
      }
      g.invites.remove(user);
      long from = since == NOW ? nextMessageId - 1 : since == SHARED ? g.sharedSince : since;
      g.members.put(user, new MemberRecord(user, role, from, nextJoin++));
      return true;
    }
  }

  @Override
  public boolean removeMember(String group, String user) {
    synchronized (lock) {
      Group g = existing(group);
      boolean removed = g.members.remove(user) != null;
      if (g.members.isEmpty()) {
        groups.remove(group);
      }
      return removed;
    }
  }

  @Override
  public boolean setRole(String group, String user, GroupRole role) {
    synchronized (lock) {
      Group g = existing(group);
      MemberRecord m = g.members.get(user);
      if (m == null) {
        return false;
      }
      g.members.put(user, new MemberRecord(user, role, m.since(), m.joined()));
      return true;
    }
  }

  @Override
  public void setPolicy(String group, GroupPolicy policy) {
    synchronized (lock) {
      Group g = existing(group);
      if (policy.sharedHistory() && !g.policy.sharedHistory()) {
        g.sharedSince = nextMessageId - 1;
      }
      g.policy = policy;
    }
  }

  @Override
  public List<String> invite(
      String group, List<String> users, String by, Instant at, int maxGroupSize) {
    synchronized (lock) {
      Group g = existing(group);
      List<String> fresh = new ArrayList<>();
      for (String u : users) {
        requireAccount(u);
        if (!g.members.containsKey(u) && !g.invites.containsKey(u) && !fresh.contains(u)) {
          fresh.add(u);
        }
      }
      if (g.members.size() + g.invites.size() + fresh.size() > maxGroupSize) {
        throw ChatException.invalid(
            "Group " + group + " would exceed " + maxGroupSize + " members and invitations.");
      }
      long sent = 0;
      for (Group other : groups.values()) {
        for (GroupInvite i : other.invites.values()) {
          sent += i.by().equals(by) ? 1 : 0;
        }
      }
      if (sent + fresh.size() > 2L * maxGroupSize) {
        throw ChatException.invalid(ChatStore.tooManySent(2 * maxGroupSize));
      }
      for (String u : fresh) {
        List<GroupInvite> held = invitesOfLocked(u);
        if (held.size() >= Limits.MAX_PENDING_INVITES) {
          throw ChatException.invalid(u + " has too many pending invitations.");
        }
        if (held.stream().filter(i -> i.by().equals(by)).count()
            >= Limits.MAX_PENDING_INVITES_PER_INVITER) {
          throw ChatException.invalid(u + " has too many pending invitations from you.");
        }
      }
      for (String u : fresh) {
        g.invites.put(u, new GroupInvite(group, by, at));
      }
      return fresh;
    }
  }

  @Override
  public List<GroupInvite> invitesOf(String user) {
    synchronized (lock) {
      return invitesOfLocked(user);
    }
  }

  private List<GroupInvite> invitesOfLocked(String user) {
    List<GroupInvite> out = new ArrayList<>();
    for (Group g : groups.values()) {
      GroupInvite i = g.invites.get(user);
      if (i != null) {
        out.add(i);
      }
    }
    out.sort(java.util.Comparator.comparing(GroupInvite::at));
    return out;
  }

  @Override
  public boolean deleteInvite(String group, String user) {
    synchronized (lock) {
      Group g = groups.get(group);
      return g != null && g.invites.remove(user) != null;
    }
  }

  private void requireAccount(String user) {
    if (!accounts.containsKey(user)) {
      throw ChatException.notFound("No such user: " + user + ".");
    }
  }

  private Group existing(String group) {
    Group g = groups.get(group);
    if (g == null) {
      throw ChatException.notFound("No such group: " + group + ".");
    }
    return g;
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    synchronized (lock) {
      var tail = after == null ? groups.values() : groups.tailMap(after, false).values();
      List<GroupRecord> out = new ArrayList<>();
      for (Group g : tail) {
        if (g.members.containsKey(user)) {
          out.add(g.record());
          if (out.size() == limit) {
            break;
          }
        }
      }
      return out;
    }
  }

  @Override
  public CompletableFuture<Appended> append(Draft d) {
    synchronized (lock) {
      if (d.clientMsgId() != null) {
        Message seen = byClientId.get(clientKey(d.from(), d.conversation(), d.clientMsgId()));
        if (seen != null) {
          return CompletableFuture.completedFuture(
              new Appended(seen, List.of(), List.of(), true));
        }
      }
      Message m =
          new Message(nextMessageId++, d.from(), d.to(), d.body(), d.sentAt(), d.clientMsgId());
      TreeMap<Long, Message> history =
          conversations.computeIfAbsent(d.conversation(), k -> new TreeMap<>());
      history.put(m.id(), m);
      if (history.size() > historyPerConversation) {
        Message old = history.pollFirstEntry().getValue();
        if (old.clientMsgId() != null) {
          byClientId.remove(clientKey(old.from(), d.conversation(), old.clientMsgId()), old);
        }
      }
      if (d.clientMsgId() != null) {
        byClientId.put(clientKey(d.from(), d.conversation(), d.clientMsgId()), m);
      }
      List<Delivery> deliveries = new ArrayList<>(d.recipients().size());
      List<String> recipients = new ArrayList<>(d.recipients().size());
      for (String r : d.recipients()) {
        Inbox inbox = inboxes.get(r);
        if (inbox == null) {
          continue; // deleted between the service's check and now
        }
        long seq = ++inbox.lastSeq;
        inbox.entries.put(seq, m);
        deliveries.add(new Delivery(seq, m));
        recipients.add(r);
      }
      return CompletableFuture.completedFuture(new Appended(m, deliveries, recipients, false));
    }
  }

  /** De-duplication key: a client id is the sender's, within one conversation. */
  private static String clientKey(String from, String conversation, String clientMsgId) {
    return from + "\0" + conversation + "\0" + clientMsgId;
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    synchronized (lock) {
      Inbox inbox = inboxes.get(user);
      if (inbox == null) {
        return List.of();
      }
      List<Delivery> out = new ArrayList<>(Math.min(limit, inbox.entries.size()));
      for (var e : inbox.entries.tailMap(afterSeq, false).entrySet()) {
        out.add(new Delivery(e.getKey(), e.getValue()));
        if (out.size() == limit) {
          break;
        }
      }
      return out;
    }
  }

  @Override
  public long lastSeq(String user) {
    synchronized (lock) {
      Inbox inbox = inboxes.get(user);
      return inbox == null ? 0 : inbox.lastSeq;
    }
  }

  @Override
  public void ack(String user, long upToSeq) {
    synchronized (lock) {
      Inbox inbox = inboxes.get(user);
      if (inbox != null && upToSeq > inbox.acked) {
        inbox.acked = Math.min(upToSeq, inbox.lastSeq);
        inbox.entries.headMap(inbox.acked, true).clear();
      }
    }
  }

  @Override
  public long ackedSeq(String user) {
    synchronized (lock) {
      Inbox inbox = inboxes.get(user);
      return inbox == null ? 0 : inbox.acked;
    }
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    synchronized (lock) {
      TreeMap<Long, Message> c = conversations.get(conversation);
      if (c == null) {
        return List.of();
      }
      var head = beforeId > 0 ? c.headMap(beforeId, false) : c;
      List<Message> out = new ArrayList<>(Math.min(limit, c.size()));
      for (Message m : head.descendingMap().values()) {
        out.add(m);
        if (out.size() == limit) {
          break;
        }
      }
      java.util.Collections.reverse(out);
      return out;
    }
  }

  @Override
  public void close() {}
}
