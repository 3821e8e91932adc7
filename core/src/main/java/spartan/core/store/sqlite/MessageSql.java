package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;

/**
 * The SQL of the message aggregate: the {@code message} table, each recipient's {@code inbox}
 * with its sequence and ack columns on {@code account}, and conversation history.
 */
final class MessageSql {
  private MessageSql() {}

  private static final String MESSAGE_COLUMNS =
      "m.id, m.sender, m.to_kind, m.to_name, m.body_kind, m.body, m.sent_s, m.sent_ns,"
          + " m.client_msg_id";

  /** Inbox rows: chunks of 64, 16, 4 and 1 cover any fan-out. */
  private static final MultiRow INSERT_INBOX =
      MultiRow.of("INSERT INTO inbox(account_id, seq, message_id) VALUES ", 3, 64, 16, 4, 1);

  /** Message rows, for the appends of one batch. */
  private static final MultiRow INSERT_MESSAGE =
      MultiRow.of(
          "INSERT INTO message(id, conversation, sender, sender_id, to_kind, to_name, body_kind,"
              + " body, sent_s, sent_ns, client_msg_id) VALUES ",
          11,
          16,
          4,
          1);

  /** Binds row {@code row}'s parameters after parameter {@code at} of a multi-row INSERT. */
  @FunctionalInterface
  private interface RowBinder {
    void bind(PreparedStatement ps, int at, int row) throws SQLException;
  }

  /**
   * An INSERT of several rows, one statement per chunk size, so a handful of prepared statements
   * cover any number of rows: as many of the largest chunk as fit, then the smaller ones.
   */
  private record MultiRow(String[] sqlByRows, int columns, int[] chunks) {
    static MultiRow of(String head, int columns, int... chunks) {
      String[] sql = new String[chunks[0] + 1];
      String row = "(" + "?, ".repeat(columns - 1) + "?)";
      for (int rows : chunks) {
        StringBuilder b = new StringBuilder(head);
        for (int i = 0; i < rows; i++) {
          b.append(i == 0 ? "" : ", ").append(row);
        }
        sql[rows] = b.toString();
      }
      return new MultiRow(sql, columns, chunks);
    }

    void insert(Handle h, int total, RowBinder binder) throws SQLException {
      int done = 0;
      for (int chunk : chunks) {
        while (total - done >= chunk) {
          PreparedStatement ps = h.prepare(sqlByRows[chunk]);
          for (int i = 0; i < chunk; i++) {
            binder.bind(ps, columns * i, done + i);
          }
          ps.executeUpdate();
          done += chunk;
        }
      }
    }
  }

  /**
   * Stores a message (or finds the sender's earlier one with the same client message id) and
   * gives each recipient its next inbox sequence; runs on the writer, inside its batch. The id and
   * the sequences come from the writer's counters ({@link WriterState}), so nothing is read back;
   * the inbox rows go in a few multi-row INSERTs.
   */
  static Appended append(Handle h, Draft d) throws SQLException {
    return appendAll(h, List.of(d)).get(0);
  }

  /**
   * Stores the messages of one batch's consecutive appends, in order, as {@link #append} would one
   * by one, but in a few multi-row INSERTs: with one statement per message and per recipient the
   * statements' own cost (bind, step, reset, each a JNI call) was most of a small message's. A
   * client message id seen earlier in the run is a duplicate of that message, as it would be if
   * the earlier one had been stored first. Throws if any fails; the writer then runs each alone.
   */
  static List<Appended> appendAll(Handle h, List<Draft> drafts) throws SQLException {
    WriterState state = h.state;
    int n = drafts.size();
    List<Appended> out = new ArrayList<>(n);
    List<Message> stored = new ArrayList<>(n);
    List<Long> senderIds = new ArrayList<>(n);
    List<String> conversations = new ArrayList<>(n);
    Map<String, Message> inRun = null; // by sender id, conversation and client message id
    LongList inboxAccounts = new LongList();
    LongList inboxSeqs = new LongList();
    LongList inboxMessages = new LongList();
    for (Draft d : drafts) {
      WriterState.Account sender = state.account(h, d.from());
      String key = null;
      if (d.clientMsgId() != null && sender != null) {
        key = sender.id + "\u0000" + d.conversation() + "\u0000" + d.clientMsgId();
        Message earlier = inRun == null ? null : inRun.get(key);
        if (earlier == null) {
          earlier = stored(h, sender.id, d);
        }
        if (earlier != null) {
          out.add(new Appended(earlier, List.of(), List.of(), true));
          continue;
        }
      }
      long id = state.nextMessageId(h);
      Message m = new Message(id, d.from(), d.to(), d.body(), d.sentAt(), d.clientMsgId());
      if (key != null) {
        if (inRun == null) {
          inRun = new HashMap<>();
        }
        inRun.put(key, m);
      }
      stored.add(m);
      // The sender may have been deleted between the service's check and this write: the
      // message is still stored, just not de-duplicated.
      senderIds.add(sender == null ? null : sender.id);
      conversations.add(d.conversation());
      List<Delivery> deliveries = new ArrayList<>(d.recipients().size());
      List<String> recipients = new ArrayList<>(d.recipients().size());
      for (String r : d.recipients()) {
        WriterState.Account a = state.account(h, r);
        if (a == null) {
          continue; // deleted between the service's check and now
        }
        long seq = state.nextSeq(r, a);
        inboxAccounts.add(a.id);
        inboxSeqs.add(seq);
        inboxMessages.add(id);
        deliveries.add(new Delivery(seq, m));
        recipients.add(r);
      }
      out.add(new Appended(m, deliveries, recipients, false));
    }
    putMessages(h, stored, senderIds, conversations);
    putInbox(h, inboxAccounts, inboxSeqs, inboxMessages);
    return out;
  }

  /** The sender's message already stored with the draft's client message id, or null. */
  private static Message stored(Handle h, long senderId, Draft d) throws SQLException {
    PreparedStatement seen =
        h.prepare(
            "SELECT "
                + MESSAGE_COLUMNS
                + " FROM message m WHERE m.sender_id = ? AND m.conversation = ?"
                + " AND m.client_msg_id = ?");
    seen.setLong(1, senderId);
    seen.setString(2, d.conversation());
    seen.setString(3, d.clientMsgId());
    try (ResultSet rs = seen.executeQuery()) {
      return rs.next() ? message(rs, 1) : null;
    }
  }

  private static void putMessages(
      Handle h, List<Message> messages, List<Long> senderIds, List<String> conversations)
      throws SQLException {
    INSERT_MESSAGE.insert(
        h,
        messages.size(),
        (ins, at, row) ->
            bindMessage(ins, at, messages.get(row), senderIds.get(row), conversations.get(row)));
  }

  private static void bindMessage(
      PreparedStatement ins, int at, Message m, Long senderId, String conversation)
      throws SQLException {
    ins.setLong(at + 1, m.id());
    ins.setString(at + 2, conversation);
    ins.setString(at + 3, m.from());
    if (senderId == null) {
      ins.setNull(at + 4, Types.INTEGER);
    } else {
      ins.setLong(at + 4, senderId);
    }
    ins.setString(at + 5, m.to() instanceof Recipient.Group ? "g" : "u");
    ins.setString(at + 6, m.to().name());
    if (m.body() instanceof MessageBody.Sealed s) {
      ins.setString(at + 7, "s");
      ins.setBytes(at + 8, s.envelope());
    } else {
      ins.setString(at + 7, "t");
      ins.setString(at + 8, ((MessageBody.Text) m.body()).text());
    }
    ins.setLong(at + 9, m.sentAt().getEpochSecond());
    ins.setInt(at + 10, m.sentAt().getNano());
    ins.setString(at + 11, m.clientMsgId());
  }

  private static void putInbox(Handle h, LongList accounts, LongList seqs, LongList messages)
      throws SQLException {
    INSERT_INBOX.insert(
        h,
        accounts.size(),
        (put, at, row) -> {
          put.setLong(at + 1, accounts.get(row));
          put.setLong(at + 2, seqs.get(row));
          put.setLong(at + 3, messages.get(row));
        });
  }

  /** A growable list of longs, so inbox rows are not boxed one by one. */
  private static final class LongList {
    private long[] values = new long[16];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long get(int i) {
      return values[i];
    }

    int size() {
      return size;
    }
  }

  /**
   * {@code user}'s inbox entries after {@code afterSeq}: the (sequence, message id) rows first, each
   * message taken from {@code recent} (messages appended lately); only if one is not there, the
   * page again with every message column.
   */
  static List<Delivery> inbox(
      Handle h, String user, long afterSeq, int limit, LongFunction<Message> recent)
      throws SQLException {
    PreparedStatement refs =
        h.prepare(
            "SELECT i.seq, i.message_id FROM account a JOIN inbox i ON i.account_id = a.id"
                + " WHERE a.name = ? AND i.seq > ? ORDER BY i.seq LIMIT ?");
    refs.setString(1, user);
    refs.setLong(2, afterSeq);
    refs.setInt(3, limit);
    List<Delivery> out = new ArrayList<>();
    try (ResultSet rs = refs.executeQuery()) {
      while (rs.next()) {
        Message m = recent.apply(rs.getLong(2));
        if (m == null) {
          return inbox(h, user, afterSeq, limit);
        }
        out.add(new Delivery(rs.getLong(1), m));
      }
    }
    return out;
  }

  private static List<Delivery> inbox(Handle h, String user, long afterSeq, int limit)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "SELECT i.seq, "
                + MESSAGE_COLUMNS
                + " FROM account a JOIN inbox i ON i.account_id = a.id"
                + " JOIN message m ON m.id = i.message_id"
                + " WHERE a.name = ? AND i.seq > ? ORDER BY i.seq LIMIT ?");
    ps.setString(1, user);
    ps.setLong(2, afterSeq);
    ps.setInt(3, limit);
    List<Delivery> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Delivery(rs.getLong(1), message(rs, 2)));
      }
    }
    return out;
  }

  static Void ack(Handle h, String user, long upToSeq) throws SQLException {
    WriterState.Account a = h.state.account(h, user);
    if (a == null) {
      return null;
    }
    // Forward only, and never past what was assigned.
    long acked = Math.min(upToSeq, a.lastSeq);
    PreparedStatement move =
        h.prepare("UPDATE account SET acked_seq = ?1 WHERE id = ?2 AND acked_seq < ?1");
    move.setLong(1, acked);
    move.setLong(2, a.id);
    if (move.executeUpdate() == 0) {
      return null;
    }
    PreparedStatement drop = h.prepare("DELETE FROM inbox WHERE account_id = ? AND seq <= ?");
    drop.setLong(1, a.id);
    drop.setLong(2, acked);
    drop.executeUpdate();
    return null;
  }

  /** The last inbox sequence of {@code user} as committed; 0 if no such account. */
  static long lastSeq(Handle h, String user) throws SQLException {
    return accountLong(h, WriterState.LAST_SEQ, user);
  }

  /** {@code acked_seq} of {@code user}; 0 if no such account. */
  static long ackedSeq(Handle h, String user) throws SQLException {
    return accountLong(h, "a.acked_seq", user);
  }

  /** {@code expression} over the row of account {@code a} named {@code user}; 0 if none. */
  private static long accountLong(Handle h, String expression, String user) throws SQLException {
    PreparedStatement ps =
        h.prepare("SELECT " + expression + " FROM account a WHERE a.name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0L;
    }
  }

  static List<Message> history(Handle h, String conversation, long beforeId, int limit)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "SELECT "
                + MESSAGE_COLUMNS
                + " FROM message m WHERE m.conversation = ? AND m.id < ?"
                + " ORDER BY m.id DESC LIMIT ?");
    ps.setString(1, conversation);
    ps.setLong(2, beforeId > 0 ? beforeId : Long.MAX_VALUE);
    ps.setInt(3, limit);
    List<Message> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(message(rs, 1));
      }
    }
    Collections.reverse(out);
    return out;
  }

  /** Inbox entries not yet acknowledged, over all users. */
  static long undelivered(Handle h) throws SQLException {
    try (ResultSet rs = h.prepare("SELECT count(*) FROM inbox").executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0L;
    }
  }

  /** Reads {@link #MESSAGE_COLUMNS} starting at column {@code c}. */
  private static Message message(ResultSet rs, int c) throws SQLException {
    long id = rs.getLong(c);
    String from = rs.getString(c + 1);
    String toName = rs.getString(c + 3);
    Recipient to =
        "g".equals(rs.getString(c + 2)) ? Recipient.group(toName) : Recipient.user(toName);
    MessageBody body =
        "s".equals(rs.getString(c + 4))
            ? MessageBody.sealed(rs.getBytes(c + 5))
            : MessageBody.text(rs.getString(c + 5));
    Instant sentAt = Instant.ofEpochSecond(rs.getLong(c + 6), rs.getInt(c + 7));
    return new Message(id, from, to, body, sentAt, rs.getString(c + 8));
  }
}
