package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

  /** Most inbox rows one INSERT carries: chunks of 64, 16, 4 and 1 cover any fan-out. */
  private static final int[] INBOX_CHUNKS = {64, 16, 4, 1};

  private static final String[] INSERT_INBOX = new String[65];

  static {
    for (int rows : INBOX_CHUNKS) {
      StringBuilder sql = new StringBuilder("INSERT INTO inbox(account_id, seq, message_id) VALUES ");
      for (int i = 0; i < rows; i++) {
        sql.append(i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)");
      }
      INSERT_INBOX[rows] = sql.toString();
    }
  }

  /**
   * Stores a message (or finds the sender's earlier one with the same client message id) and
   * gives each recipient its next inbox sequence; runs on the writer, inside its batch. The id and
   * the sequences come from the writer's counters ({@link WriterState}), so nothing is read back;
   * the inbox rows go in a few multi-row INSERTs.
   */
  static Appended append(Handle h, Draft d) throws SQLException {
    WriterState state = h.state;
    WriterState.Account sender = state.account(h, d.from());
    if (d.clientMsgId() != null && sender != null) {
      PreparedStatement seen =
          h.prepare(
              "SELECT "
                  + MESSAGE_COLUMNS
                  + " FROM message m WHERE m.sender_id = ? AND m.conversation = ?"
                  + " AND m.client_msg_id = ?");
      seen.setLong(1, sender.id);
      seen.setString(2, d.conversation());
      seen.setString(3, d.clientMsgId());
      try (ResultSet rs = seen.executeQuery()) {
        if (rs.next()) {
          return new Appended(message(rs, 1), List.of(), List.of(), true);
        }
      }
    }
    long id = state.nextMessageId(h);
    PreparedStatement ins =
        h.prepare(
            "INSERT INTO message(id, conversation, sender, sender_id, to_kind, to_name, body_kind,"
                + " body, sent_s, sent_ns, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.setLong(1, id);
    ins.setString(2, d.conversation());
    ins.setString(3, d.from());
    if (sender == null) {
      // The sender was deleted between the service's check and this write; the message is
      // still stored, just not de-duplicated.
      ins.setNull(4, Types.INTEGER);
    } else {
      ins.setLong(4, sender.id);
    }
    ins.setString(5, d.to() instanceof Recipient.Group ? "g" : "u");
    ins.setString(6, d.to().name());
    if (d.body() instanceof MessageBody.Sealed s) {
      ins.setString(7, "s");
      ins.setBytes(8, s.envelope());
    } else {
      ins.setString(7, "t");
      ins.setString(8, ((MessageBody.Text) d.body()).text());
    }
    ins.setLong(9, d.sentAt().getEpochSecond());
    ins.setInt(10, d.sentAt().getNano());
    ins.setString(11, d.clientMsgId());
    ins.executeUpdate();
    Message m = new Message(id, d.from(), d.to(), d.body(), d.sentAt(), d.clientMsgId());

    int n = d.recipients().size();
    long[] accountIds = new long[n];
    List<Delivery> deliveries = new ArrayList<>(n);
    List<String> recipients = new ArrayList<>(n);
    for (String r : d.recipients()) {
      WriterState.Account a = state.account(h, r);
      if (a == null) {
        continue; // deleted between the service's check and now
      }
      accountIds[deliveries.size()] = a.id;
      deliveries.add(new Delivery(state.nextSeq(r, a), m));
      recipients.add(r);
    }
    putInbox(h, id, accountIds, deliveries);
    return new Appended(m, deliveries, recipients, false);
  }

  private static void putInbox(Handle h, long messageId, long[] accountIds, List<Delivery> rows)
      throws SQLException {
    int done = 0;
    int total = rows.size();
    for (int chunk : INBOX_CHUNKS) {
      while (total - done >= chunk) {
        PreparedStatement put = h.prepare(INSERT_INBOX[chunk]);
        for (int i = 0; i < chunk; i++) {
          put.setLong(3 * i + 1, accountIds[done + i]);
          put.setLong(3 * i + 2, rows.get(done + i).seq());
          put.setLong(3 * i + 3, messageId);
        }
        put.executeUpdate();
        done += chunk;
      }
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
    PreparedStatement ps =
        h.prepare("SELECT " + WriterState.LAST_SEQ + " FROM account a WHERE a.name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0L;
    }
  }

  /** {@code acked_seq} of {@code user}; 0 if no such account. */
  static long ackedSeq(Handle h, String user) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT acked_seq FROM account WHERE name = ?");
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
