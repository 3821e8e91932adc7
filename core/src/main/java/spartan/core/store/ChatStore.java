package spartan.core.store;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import spartan.core.Delivery;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;

/**
 * Persistence for accounts, groups, messages and inboxes. The service validates input and
 * decides who may do what; a store only keeps data consistent and durable.
 *
 * <p>Names passed in are already normalised. Implementations are thread-safe. Reads are
 * synchronous and may block on I/O, so callers run them off event-loop threads. Failures are
 * {@link spartan.core.ChatException}s: {@code ALREADY_EXISTS}, {@code NOT_FOUND}, or {@code
 * UNAVAILABLE}/{@code INTERNAL} for storage faults.
 */
public interface ChatStore extends AutoCloseable {

  // ---- accounts -------------------------------------------------------------------------------

  /** Creates an account; {@code passwordHash} is null in open mode. {@code ALREADY_EXISTS}. */
  AccountRecord createAccount(String user, String passwordHash, Instant createdAt);

  Optional<AccountRecord> findAccount(String user);

  /** For {@link #addMember}'s {@code since}: only messages stored from now on. */
  long NOW = -1;

  /**
   * For {@link #addMember}'s {@code since}: the group's messages since shared history was last
   * turned on (see {@link #setPolicy}), so a newcomer never reads what was sent while it was off.
   */
  long SHARED = -2;

  /**
   * Deletes an account with its inbox, ack state, invitations and group memberships. A group left
   * empty is deleted; in a group where it was the last owner, {@link GroupRecord#successorOf}
   * becomes owner, in the same transaction. Messages it sent stay in other people's inboxes and histories. Returns false if
   * there was no such account.
   */
  boolean deleteAccount(String user);

  /**
   * Account names matching a normalised glob ({@code *}, {@code ?}), ascending, strictly after
   * {@code after} (null for the start), at most {@code limit} (none when {@code limit <= 0}).
   */
  List<String> listAccounts(String glob, String after, int limit);

  /**
   * One page of {@link #listAccounts} for a client: at most {@code limit} names, and the cursor
   * to resume after, or null when nothing more matches. A store whose listing costs more than a
   * page (one that scans names to match a glob) may stop early and return fewer names with a
   * cursor, so that no single call costs it more than a bounded amount of work. This default
   * never stops early.
   */
  default AccountPage accountPage(String glob, String after, int limit) {
    List<String> names = listAccounts(glob, after, limit + 1);
    return names.size() > limit
        ? new AccountPage(names.subList(0, limit), names.get(limit - 1))
        : new AccountPage(names, null);
  }

  /** Names of a page of accounts and the cursor to resume after (null: the end). */
  record AccountPage(List<String> names, String next) {
    public AccountPage {
      names = List.copyOf(names);
    }
  }

  /** Stores {@code user}'s public-key bundle, replacing any earlier one. {@code NOT_FOUND}. */
  void putKeys(String user, byte[] bundle);

  /** {@code user}'s public-key bundle, if one was published. Deleted with the account. */
  Optional<byte[]> findKeys(String user);

  // ---- the data's auth mode -------------------------------------------------------------------

  /**
   * How many accounts have a password hash. A service refuses to serve such a store in {@link
   * spartan.core.AuthMode#OPEN} mode, which would let anyone log in as them.
   */
  long passwordAccounts();

  /** The auth mode this store was last served in, if one was recorded. */
  Optional<spartan.core.AuthMode> recordedAuthMode();

  /** Records the auth mode the store is being served in, durably. */
  void recordAuthMode(spartan.core.AuthMode mode);

  // ---- groups ---------------------------------------------------------------------------------

  /**
   * Creates a group whose only member is {@code owner}, as its owner. {@code ALREADY_EXISTS} if
   * the name is taken; {@code NOT_FOUND} if there is no such owner.
   */
  GroupRecord createGroup(String group, String owner, GroupPolicy policy, Instant createdAt);

  Optional<GroupRecord> findGroup(String group);

  /**
   * Adds a member with {@code role}, reading the group from message id {@code since} on (exclusive;
   * 0 for all of it, {@link #NOW} for messages stored after this call, {@link #SHARED} for the
   * group's shared history), and drops any invitation
   * of theirs to the group. False if already a member. {@code NOT_FOUND} if no such group or no
   * such user.
   */
  default boolean addMember(String group, String user, GroupRole role, long since) {
    return addMember(group, user, role, since, Integer.MAX_VALUE);
  }

  /**
   * {@link #addMember(String, String, GroupRole, long)}, refused with {@code INVALID_ARGUMENT}
   * when the group already has {@code maxGroupSize} members (checked in the same transaction).
   */
  boolean addMember(String group, String user, GroupRole role, long since, int maxGroupSize);

  /**
   * Removes a member; false if not one. Deletes the group when its last member leaves. {@code
   * NOT_FOUND} if no such group.
   */
  boolean removeMember(String group, String user);

  /** Sets a member's role; false if not a member. {@code NOT_FOUND} if no such group. */
  boolean setRole(String group, String user, GroupRole role);

  /**
   * Replaces a group's policy. Turning shared history on records the newest message id as the
   * floor {@link #SHARED} reads from; a group created with it on shares from its start. {@code
   * NOT_FOUND} if no such group.
   */
  void setPolicy(String group, GroupPolicy policy);

  /** Groups {@code user} belongs to, by name ascending, strictly after {@code after}. */
  List<GroupRecord> groupsOf(String user, String after, int limit);

  /**
   * Invites each of {@code users} to {@code group} on behalf of {@code by}, all or none: users
   * already members or already invited are skipped. Returns those newly invited, in the order
   * given. {@code NOT_FOUND} naming the first unknown user or for no such group; {@code
   * INVALID_ARGUMENT} if the group's members plus pending invitations would exceed {@code
   * maxGroupSize}, an invitee would hold more than {@link
   * spartan.core.Limits#MAX_PENDING_INVITES} pending invitations or more than {@link
   * spartan.core.Limits#MAX_PENDING_INVITES_PER_INVITER} from {@code by}, or {@code by} would
   * have more than {@code 2 * maxGroupSize} pending invitations out (enough to fill a new group
   * twice over, too few to fill every user's invitations). Invitations sent by an account are
   * deleted with it, since its name may be taken again.
   */
  List<String> invite(String group, List<String> users, String by, Instant at, int maxGroupSize);

  /** The message of the refusal when a group has {@code max} members and no room for another. */
  static String groupFull(String group, int max) {
    return "Group " + group + " is full (" + max + " members).";
  }

  /** The message of the refusal when an inviter has too many invitations out. */
  static String tooManySent(int max) {
    return "You have " + max + " invitations waiting for an answer; wait for some first.";
  }

  /** {@code user}'s pending invitations, oldest first. Deleted with the account or the group. */
  List<GroupInvite> invitesOf(String user);

  /** Drops {@code user}'s invitation to {@code group}; false if there was none. */
  boolean deleteInvite(String group, String user);

  // ---- messages -------------------------------------------------------------------------------

  /**
   * Stores a message once and appends it to each recipient's inbox, atomically. The future
   * completes after the write is durable (for a durable store), with the sequence each recipient
   * got. If {@code (draft.from, draft.conversation, draft.clientMsgId)} was stored before,
   * nothing is written and the original message comes back with {@code duplicate} set and no
   * sequences; the same id in another conversation is another message. Client message ids
   * belong to the sending account, so a re-created name starts afresh; recipients whose account
   * no longer exists are skipped. Implementations may batch many appends into one commit;
   * futures complete in commit order, possibly on the store's writer thread, so callbacks must
   * be quick and must not block.
   */
  CompletableFuture<Appended> append(Draft draft);

  /** Inbox entries of {@code user} with sequence > {@code afterSeq}, ascending, at most limit. */
  List<Delivery> inbox(String user, long afterSeq, int limit);

  /** Highest sequence ever assigned in {@code user}'s inbox (0 if none). */
  long lastSeq(String user);

  /**
   * {@link #lastSeq} of each of {@code users}, for checking many live streams at once; a store
   * on a network reads them in a few round trips rather than one per user.
   */
  default java.util.Map<String, Long> lastSeqs(java.util.Collection<String> users) {
    java.util.Map<String, Long> out = new java.util.HashMap<>();
    for (String u : users) {
      out.put(u, lastSeq(u));
    }
    return out;
  }

  /** Moves the user's ack cursor forward to {@code upToSeq} (never back) and drops acked entries. */
  void ack(String user, long upToSeq);

  /** The user's ack cursor (0 if nothing acked). */
  long ackedSeq(String user);

  /**
   * Messages of one conversation with id < {@code beforeId} (any if {@code beforeId} is 0), the
   * {@code limit} newest of them, returned oldest first.
   */
  List<Message> history(String conversation, long beforeId, int limit);

  /**
   * A hint that {@code m}, just appended, has a recipient with no live stream on this node, so
   * it will be read back from an inbox later (a drain at login, usually): a store may keep it in
   * memory, bounded, to answer that read. Messages read live are never read back, and keeping
   * them all would make every one outlive a young collection. By default, nothing.
   */
  default void readLater(Message m) {}

  /**
   * {@link #history}, for a read the API marks {@link spartan.core.Cached @Cached}: a store that
   * keeps recent messages in memory ({@link spartan.core.cache.RecentMessages#wrap}) may answer it
   * from there, with the same answer. The caller makes every check (session, membership) first;
   * the conversation key says who may read. By default, {@code history} itself.
   */
  default List<Message> cachedHistory(String conversation, long beforeId, int limit) {
    return history(conversation, beforeId, limit);
  }

  /** Flushes pending writes and releases resources. Idempotent. */
  @Override
  void close();

  // ---- values ---------------------------------------------------------------------------------

  /** An account as stored. {@code id} is never reused, so a re-created name is a new account. */
  record AccountRecord(long id, String user, String passwordHash, Instant createdAt) {}

  /**
   * A group as stored; {@code roster} is sorted by name. {@code since} of a member is the message
   * id after which they may read the group; {@code joined} orders members by seniority (lower
   * joined earlier).
   */
  record GroupRecord(
      long id, String group, GroupPolicy policy, List<MemberRecord> roster, Instant createdAt) {
    public GroupRecord {
      roster = List.copyOf(roster);
    }

    /** Members' names, sorted. */
    public List<String> members() {
      return roster.stream().map(MemberRecord::user).toList();
    }

    /** {@code user}'s membership, or null. */
    public MemberRecord member(String user) {
      for (MemberRecord m : roster) {
        if (m.user().equals(user)) {
          return m;
        }
      }
      return null;
    }

    /**
     * Who becomes owner when {@code leaving} goes: null unless {@code leaving} is the group's last
     * owner and someone else remains; then the longest-standing admin, else the longest-standing
     * member. The one succession rule, shared by the stores and the service.
     */
    public String successorOf(String leaving) {
      MemberRecord me = member(leaving);
      if (me == null || me.role() != GroupRole.OWNER) {
        return null;
      }
      MemberRecord best = null;
      for (MemberRecord m : roster) {
        if (m.user().equals(leaving)) {
          continue;
        }
        if (m.role() == GroupRole.OWNER) {
          return null;
        }
        if (best == null
            || m.role().compareTo(best.role()) > 0
            || (m.role() == best.role() && m.joined() < best.joined())) {
          best = m;
        }
      }
      return best == null ? null : best.user();
    }
  }

  /** One membership as stored. */
  record MemberRecord(String user, GroupRole role, long since, long joined) {}

  /**
   * A message to store. {@code conversation} is the history key the service computed; {@code
   * recipients} are the users whose inboxes get it (never the sender).
   */
  record Draft(
      String from,
      spartan.core.Recipient to,
      spartan.core.MessageBody body,
      Instant sentAt,
      String clientMsgId,
      String conversation,
      List<String> recipients) {
    public Draft {
      recipients = List.copyOf(recipients);
    }
  }

  /**
   * The result of {@link #append}: the stored message and each recipient's sequence. {@code
   * liveOn}, when not null, names for recipients the store saw at the moment of the insert the
   * nodes holding their live streams (a store shared by several nodes that keeps their presence
   * beside the inboxes, read atomically with each insert); a recipient missing from it, or a
   * null map, is unknown and its nodes must be looked up.
   */
  record Appended(Message message, List<Delivery> deliveries, List<String> recipients,
      boolean duplicate, Map<String, Set<String>> liveOn) {
    public Appended {
      deliveries = List.copyOf(deliveries);
      recipients = List.copyOf(recipients);
      if (liveOn != null) {
        Map<String, Set<String>> copy = new HashMap<>();
        liveOn.forEach((user, nodes) -> copy.put(user, Set.copyOf(nodes)));
        liveOn = Map.copyOf(copy);
      }
    }

    /** A result that says nothing of where the recipients are live. */
    public Appended(Message message, List<Delivery> deliveries, List<String> recipients,
        boolean duplicate) {
      this(message, deliveries, recipients, duplicate, null);
    }
  }
}
