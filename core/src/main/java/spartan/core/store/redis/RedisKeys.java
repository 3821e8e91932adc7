package spartan.core.store.redis;

/**
 * The names of every key the Redis store uses, in one place so that they never collide with the
 * keys of cross-node delivery ({@code sp:nodes*}, {@code sp:node:*}, {@code sp:epoch}, owned by
 * {@code spartan.core.cluster}). One key is shared: a user's presence, {@link #presence}, which
 * the node bus writes and the store's insert script reads, so both take its name from here.
 *
 * <p>Every key starts with {@code sp:}. The keys of one user share the hash tag {@code
 * {u:<user>}}, those of one group (its members, invitations and its conversation) share {@code
 * {g:<group>}}, and those of one direct conversation share {@code {c:<conversation>}}, so every
 * script touches one slot and the same code runs on one Redis and on Redis Cluster. The few
 * global keys are named constants. Names are already normalised to {@code [a-z0-9_.-]}, so they
 * can hold neither a brace nor a separator.
 *
 * <p>Stateless; only {@link #presence} is public.
 */
public final class RedisKeys {
  /** Every account name, score 0, for wildcard listing (ZRANGE BYLEX). A superset while racing. */
  static final String ACCOUNTS = "sp:accounts";
  /** Names of accounts with a password hash. */
  static final String PASSWORD_ACCOUNTS = "sp:pw";
  /** The auth mode the data was last served in. */
  static final String AUTH_MODE = "sp:authmode";
  static final String ACCOUNT_IDS = "sp:ids:account";
  static final String GROUP_IDS = "sp:ids:group";
  /** Message ids, handed out to nodes in blocks. */
  static final String MESSAGE_IDS = "sp:ids:message";
  /** Group id to group name, so {@code history("g:<id>")} finds the group's slot. */
  static final String GROUP_NAMES = "sp:gids";
  /**
   * Conversations that may have an unfinished fan-out: member {@code <prefix>\n<conversation>},
   * score the time of its latest send in milliseconds.
   */
  static final String FAN_OUTS = "sp:fanouts";

  private RedisKeys() {}

  /** The prefix of every key of {@code user}: {@code sp:{u:<user>}:}. */
  static String user(String user) {
    return "sp:{u:" + user + "}:";
  }

  /**
   * {@code user}'s presence: a hash, node id to the number of the user's live streams on that
   * node. In the user's slot, so an inbox insert reads it atomically.
   */
  public static String presence(String user) {
    return user(user) + NODES;
  }

  /** The prefix of every key of {@code group}: {@code sp:{g:<group>}:}. */
  static String group(String group) {
    return "sp:{g:" + group + "}:";
  }

  /** The prefix of a direct conversation's keys: {@code sp:{c:<conversation>}:}. */
  static String direct(String conversation) {
    return "sp:{c:" + conversation + "}:";
  }

  // a user's keys, after user(u)
  static final String ACCOUNT = "acct"; // hash: id, sec, ns, pw?, keys?
  static final String INBOX = "inbox"; // stream, entry ids <seq>-0
  static final String BOX = "box"; // hash: last (seq), acked
  static final String WATERMARKS = "wm"; // hash: conversation -> newest message id inserted
  static final String GROUPS = "groups"; // zset of group names, score 0
  static final String INVITES_HELD = "inv"; // hash: group -> by \t sec \t ns
  static final String INVITES_SENT = "sent"; // zset of "group \t invitee", score 0
  static final String NODES = "nodes"; // hash: node id -> live streams there (the bus writes it)

  // a group's keys, after group(g)
  static final String META = "meta"; // hash: id, sec, ns, open, shared, shared_since, join
  static final String MEMBERS = "members"; // hash: user -> role \t since \t joined
  static final String INVITES = "invites"; // hash: invitee -> by \t sec \t ns

  // a conversation's keys, after its prefix; a direct conversation's are followed by the
  // conversation, a group's are not (a group has one conversation, deleted with it)
  static final String CONVERSATION = "cv:"; // hash: last (message id), c:<from>\t<cmid> -> id:acct
  static final String HISTORY = "h:"; // stream, entry ids <message id>-0
  static final String PENDING = "fo:"; // hash: message id -> recipients joined by \n
}
