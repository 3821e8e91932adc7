package spartan.core.store.redis;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.sqlite.SQLiteConfig;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * Moves an embedded store's data into an empty Redis for the redis store: accounts (ids,
 * password hashes, public keys), the auth mode, groups (ids, policies, members with roles,
 * floors and seniority), pending invitations, every inbox's undelivered messages with their
 * sequences and ack cursors, and history with message ids, so clients' cursors and
 * de-duplication by client id carry over and nothing is lost or doubled.
 *
 * <p>Refuses a Redis that already holds a Spartan store, and a data directory that a running
 * server holds (the embedded store's lock). History of groups deleted since is not moved (no one
 * can read it), though their messages still waiting in inboxes are. A failed migration leaves
 * the embedded store untouched; empty the Redis and run it again. Not thread-safe; one call at a
 * time.
 */
public final class EmbeddedToRedis {
  /** Rows written per pipeline. */
  private static final int BATCH = 500;

  private EmbeddedToRedis() {}

  /** What was moved. */
  public record Summary(long accounts, long groups, long invitations, long history, long undelivered) {}

  /**
   * Moves the store in {@code dataDir} to the Redis {@code target} names (its URL and TLS
   * settings; the store it builds is closed afterwards). {@code UNAVAILABLE} if Redis cannot be
   * reached, {@code ALREADY_EXISTS} if it holds a store already.
   */
  public static Summary migrate(Path dataDir, RedisChatStoreBuilder target) {
    Objects.requireNonNull(dataDir, "dataDir");
    // Opening the embedded store takes its lock (no server may be writing) and brings an older
    // schema up to date; the rows are then read over a read-only connection beside it.
    try (SqliteChatStore source = SqliteChatStore.open(dataDir, Runnable::run);
        RedisChatStore store = target.build()) {
      UnifiedJedis redis = store.redis();
      for (String k :
          List.of(RedisKeys.ACCOUNTS, RedisKeys.ACCOUNT_IDS, RedisKeys.GROUP_IDS,
              RedisKeys.MESSAGE_IDS)) {
        if (redis.exists(k)) {
          throw ChatException.exists(
              "Redis at " + store + " already holds a Spartan store (" + k + "); empty it first.");
        }
      }
      SQLiteConfig config = new SQLiteConfig();
      config.setReadOnly(true);
      try (Connection db = config.createConnection("jdbc:sqlite:" + source.file())) {
        return new Copy(db, redis).run();
      }
    } catch (SQLException e) {
      throw new ChatException(ErrorCode.INTERNAL, "cannot read the embedded store: " + e.getMessage(), e);
    }
  }

  /** One migration's state: the open connections and the ids read so far. */
  private static final class Copy {
    private final Connection db;
    private final UnifiedJedis redis;
    private final Map<Long, String> accountNames = new HashMap<>();
    private final Map<Long, String> groupNames = new HashMap<>();
    private final Map<String, Long> groupIds = new HashMap<>();
    private AbstractPipeline pipeline;
    private int queued;

    Copy(Connection db, UnifiedJedis redis) {
      this.db = db;
      this.redis = redis;
    }

    private AbstractPipeline p() {
      if (pipeline == null) {
        pipeline = redis.pipelined();
      }
      if (++queued >= BATCH) {
        flush();
        pipeline = redis.pipelined();
        queued = 1;
      }
      return pipeline;
    }

    private void flush() {
      if (pipeline != null) {
        pipeline.sync();
        pipeline.close();
        pipeline = null;
        queued = 0;
      }
    }

    Summary run() throws SQLException {
      long accounts = accounts();
      long groups = groups();
      long invitations = invitations();
      long history = history();
      long undelivered = inboxes();
      counters();
      String auth = scalar("SELECT value FROM meta WHERE key = 'auth'");
      if (auth != null) {
        p().set(RedisKeys.AUTH_MODE, auth);
      }
      flush();
      return new Summary(accounts, groups, invitations, history, undelivered);
    }

    private String scalar(String sql) throws SQLException {
      try (Statement st = db.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        return rs.next() ? rs.getString(1) : null;
      }
    }

    private long accounts() throws SQLException {
      long n = 0;
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT a.id, a.name, a.password_hash, a.created_s, a.created_ns, "
                      + SqliteChatStore.LAST_SEQ_SQL
                      + ", a.acked_seq, a.public_keys FROM account a")) {
        while (rs.next()) {
          long id = rs.getLong(1);
          String name = rs.getString(2);
          String pw = rs.getString(3);
          accountNames.put(id, name);
          String u = RedisKeys.user(name);
          Map<String, String> fields = new HashMap<>();
          fields.put("id", Long.toString(id));
          fields.put("sec", Long.toString(rs.getLong(4)));
          fields.put("ns", Long.toString(rs.getLong(5)));
          if (pw != null) {
            fields.put("pw", pw);
            p().sadd(RedisKeys.PASSWORD_ACCOUNTS, name);
          }
          p().hset(u + RedisKeys.ACCOUNT, fields);
          byte[] keys = rs.getBytes(8);
          if (keys != null) {
            p().hset(bytes(u + RedisKeys.ACCOUNT), bytes("keys"), keys);
          }
          if (rs.getLong(6) > 0) {
            p().hset(u + RedisKeys.BOX,
                Map.of("last", Long.toString(rs.getLong(6)), "acked", Long.toString(rs.getLong(7))));
          }
          p().zadd(RedisKeys.ACCOUNTS, 0, name);
          n++;
        }
      }
      return n;
    }

    private long groups() throws SQLException {
      long n = 0;
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT id, name, created_s, created_ns, is_open, shared_history, shared_since,"
                      + " (SELECT coalesce(max(joined), 0) FROM member WHERE group_id = g.id)"
                      + " FROM chat_group g")) {
        while (rs.next()) {
          long id = rs.getLong(1);
          String name = rs.getString(2);
          groupNames.put(id, name);
          groupIds.put(name, id);
          p().hset(
              RedisKeys.group(name) + RedisKeys.META,
              Map.of(
                  "id", Long.toString(id),
                  "sec", Long.toString(rs.getLong(3)),
                  "ns", Long.toString(rs.getLong(4)),
                  "open", rs.getInt(5) != 0 ? "1" : "0",
                  "shared", rs.getInt(6) != 0 ? "1" : "0",
                  "shared_since", Long.toString(rs.getLong(7)),
                  "join", Long.toString(rs.getLong(8))));
          p().hset(RedisKeys.GROUP_NAMES, Long.toString(id), name);
          n++;
        }
      }
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT group_id, account_id, role, since, joined FROM member")) {
        while (rs.next()) {
          String group = groupNames.get(rs.getLong(1));
          String user = accountNames.get(rs.getLong(2));
          String role = rs.getString(3).toUpperCase(Locale.ROOT);
          p().hset(RedisKeys.group(group) + RedisKeys.MEMBERS, user,
              role + "\t" + rs.getLong(4) + "\t" + rs.getLong(5));
          p().zadd(RedisKeys.user(user) + RedisKeys.GROUPS, 0, group);
        }
      }
      return n;
    }

    private long invitations() throws SQLException {
      long n = 0;
      try (Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT group_id, account_id, inviter, created_s, created_ns FROM invite")) {
        while (rs.next()) {
          String group = groupNames.get(rs.getLong(1));
          String invitee = accountNames.get(rs.getLong(2));
          String by = rs.getString(3);
          String value = by + "\t" + rs.getLong(4) + "\t" + rs.getLong(5);
          p().hset(RedisKeys.group(group) + RedisKeys.INVITES, invitee, value);
          p().hset(RedisKeys.user(invitee) + RedisKeys.INVITES_HELD, group, value);
          p().zadd(RedisKeys.user(by) + RedisKeys.INVITES_SENT, 0, group + "\t" + invitee);
          n++;
        }
      }
      return n;
    }

    private static final String MESSAGE =
        "m.id, m.sender, m.to_kind, m.to_name, m.body_kind, m.body, m.sent_s, m.sent_ns,"
            + " m.client_msg_id, m.conversation, m.sender_id";

    private static Message message(ResultSet rs) throws SQLException {
      String toName = rs.getString(4);
      Recipient to = "g".equals(rs.getString(3)) ? Recipient.group(toName) : Recipient.user(toName);
      MessageBody body =
          "s".equals(rs.getString(5))
              ? MessageBody.sealed(rs.getBytes(6))
              : MessageBody.text(rs.getString(6));
      return new Message(
          rs.getLong(1), rs.getString(2), to, body,
          Instant.ofEpochSecond(rs.getLong(7), rs.getInt(8)), rs.getString(9));
    }

    /** History in id order, each conversation in its slot, with its client-id entries. */
    private long history() throws SQLException {
      long n = 0;
      Map<String, Long> last = new HashMap<>();
      try (Statement st = db.createStatement();
          ResultSet rs = st.executeQuery("SELECT " + MESSAGE + " FROM message m ORDER BY m.id")) {
        while (rs.next()) {
          Message m = message(rs);
          String conversation = rs.getString(10);
          String prefix;
          String suffix;
          if (m.to() instanceof Recipient.Group g) {
            Long current = groupIds.get(g.name());
            if (current == null || !conversation.equals("g:" + current)) {
              continue; // a deleted group's history: nobody can read it
            }
            prefix = RedisKeys.group(g.name());
            suffix = "";
          } else {
            prefix = RedisKeys.direct(conversation);
            suffix = conversation;
          }
          p().xadd(bytes(prefix + RedisKeys.HISTORY + suffix),
              XAddParams.xAddParams().id(m.id() + "-0"),
              Map.of(bytes("m"), MessageCodec.encode(m)));
          String cv = prefix + RedisKeys.CONVERSATION + suffix;
          last.put(cv, m.id());
          if (m.clientMsgId() != null) {
            long sender = rs.getLong(11); // 0 when the sender's account is gone
            p().hset(cv, "c:" + m.from() + "\t" + m.clientMsgId(), m.id() + ":" + sender);
          }
          n++;
        }
      }
      last.forEach((cv, id) -> p().hset(cv, "last", Long.toString(id)));
      return n;
    }

    /** Every unacknowledged inbox entry, with its sequence. */
    private long inboxes() throws SQLException {
      long n = 0;
      try (PreparedStatement ps =
              db.prepareStatement(
                  "SELECT " + MESSAGE + ", i.account_id, i.seq FROM inbox i"
                      + " JOIN message m ON m.id = i.message_id"
                      + " JOIN account a ON a.id = i.account_id"
                      + " WHERE i.seq > a.acked_seq ORDER BY i.account_id, i.seq");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Message m = message(rs);
          String user = accountNames.get(rs.getLong(12));
          long seq = rs.getLong(13);
          p().xadd(bytes(RedisKeys.user(user) + RedisKeys.INBOX),
              XAddParams.xAddParams().id(seq + "-0"),
              Map.of(bytes("m"), MessageCodec.encode(m)));
          n++;
        }
      }
      return n;
    }

    /** Ids go on from where the embedded store's would have: none is ever reused. */
    private void counters() throws SQLException {
      Map<String, Long> seq = new HashMap<>();
      try (Statement st = db.createStatement();
          ResultSet rs = st.executeQuery("SELECT name, seq FROM sqlite_sequence")) {
        while (rs.next()) {
          seq.put(rs.getString(1), rs.getLong(2));
        }
      }
      p().set(RedisKeys.ACCOUNT_IDS, Long.toString(max(seq.get("account"), "account")));
      p().set(RedisKeys.GROUP_IDS, Long.toString(max(seq.get("chat_group"), "chat_group")));
      p().set(RedisKeys.MESSAGE_IDS, Long.toString(max(seq.get("message"), "message")));
    }

    private long max(Long sequence, String table) throws SQLException {
      String highest = scalar("SELECT coalesce(max(id), 0) FROM " + table);
      return Math.max(sequence == null ? 0 : sequence, Long.parseLong(highest));
    }

    private static byte[] bytes(String s) {
      return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
