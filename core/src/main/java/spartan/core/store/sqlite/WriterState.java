package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The counters the writer owns, kept in memory so an append reads nothing back: the last message
 * id handed out, and for each account it has written to, its id and last inbox sequence. Only
 * the writer assigns either, so memory is the truth between loads.
 *
 * <p>An account's last sequence is never written back: it is derived when loaded, as the highest
 * of its newest inbox row, its {@code acked_seq} (acked rows are deleted, and an ack never passes
 * the last sequence) and the {@code last_seq} column, which earlier Spartans kept up to date
 * (a floor now: nothing writes it). So a group message to a thousand members costs a thousand inbox
 * rows and no account updates. The rules that keep memory true: a write rolled back to its
 * savepoint takes back every move it made ({@link #undoWrite}); a batch that fails as a whole
 * forgets the accounts ({@link #forgetAll}), so the next batch derives them again from what was
 * committed. Message ids only move forward, even past a rolled-back write, so an id is never
 * handed out twice while the store is open; after a reopen they continue from the highest id the
 * table has ever held (SQLite's AUTOINCREMENT record), so none is reused across restarts either.
 *
 * <p>Bounded: past its {@code maxAccounts} remembered accounts the next write starts from an empty
 * map. Used only by the writer thread; not thread-safe.
 */
final class WriterState {
  /** Accounts remembered at most; beyond this they are forgotten between writes. */
  static final int MAX_ACCOUNTS = 65_536;

  /**
   * An account's last inbox sequence as committed: see the class comment. Also what {@link
   * MessageSql#lastSeq} answers, so readers and the writer agree.
   */
  static final String LAST_SEQ =
      "max(a.last_seq, a.acked_seq,"
          + " coalesce((SELECT max(i.seq) FROM inbox i WHERE i.account_id = a.id), 0))";

  private final int maxAccounts;

  /** An account as the writer knows it. */
  static final class Account {
    final long id;
    long lastSeq;

    Account(long id, long lastSeq) {
      this.id = id;
      this.lastSeq = lastSeq;
    }
  }

  /** How to put one account back as it was before the current write touched it. */
  private record Undo(String name, Account account, long lastSeq, boolean present) {}

  private final Map<String, Account> accounts = new HashMap<>();
  private final List<Undo> undo = new ArrayList<>();
  /** The last message id handed out; -1 until loaded. */
  private long lastMessageId = -1;

  /** Remembers at most {@code maxAccounts} accounts ({@link #MAX_ACCOUNTS} in the store). */
  WriterState(int maxAccounts) {
    if (maxAccounts < 1) {
      throw new IllegalArgumentException("maxAccounts must be positive, was " + maxAccounts);
    }
    this.maxAccounts = maxAccounts;
  }

  int maxAccounts() {
    return maxAccounts;
  }

  /** Called before each write: starts its undo record, and keeps the map within bounds. */
  void beginWrite() {
    undo.clear();
    if (accounts.size() > maxAccounts) {
      accounts.clear();
    }
  }

  /**
   * Takes back what the current write moved, after its savepoint was rolled back. The message id
   * is not taken back: ids only move forward.
   */
  void undoWrite() {
    for (int i = undo.size() - 1; i >= 0; i--) {
      Undo u = undo.get(i);
      if (u.present()) {
        accounts.put(u.name(), u.account());
        u.account().lastSeq = u.lastSeq();
      } else {
        accounts.remove(u.name());
      }
    }
    undo.clear();
  }

  /** After a batch failed and was rolled back: nothing remembered can be trusted. */
  void forgetAll() {
    accounts.clear();
    undo.clear();
  }

  /** The next message id. */
  long nextMessageId(Handle h) throws SQLException {
    if (lastMessageId < 0) {
      // The highest id ever handed out, deleted rows included (AUTOINCREMENT keeps it).
      PreparedStatement ps =
          h.prepare(
              "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'message'), 0),"
                  + " coalesce((SELECT max(id) FROM message), 0))");
      try (ResultSet rs = ps.executeQuery()) {
        lastMessageId = rs.next() ? rs.getLong(1) : 0L;
      }
    }
    return ++lastMessageId;
  }

  /** The account named {@code user}, loaded on first use; null if there is none. */
  Account account(Handle h, String user) throws SQLException {
    Account a = accounts.get(user);
    if (a != null) {
      return a;
    }
    PreparedStatement ps =
        h.prepare("SELECT a.id, " + LAST_SEQ + " FROM account a WHERE a.name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return null; // not remembered: it may be created later
      }
      a = new Account(rs.getLong(1), rs.getLong(2));
    }
    undo.add(new Undo(user, a, 0, false));
    accounts.put(user, a);
    return a;
  }

  /** Gives {@code a} (named {@code user}) its next inbox sequence. */
  long nextSeq(String user, Account a) {
    undo.add(new Undo(user, a, a.lastSeq, true));
    return ++a.lastSeq;
  }

  /**
   * Forgets {@code user} (its account is being deleted, so the name may come back as another
   * account); a rolled-back delete puts it back.
   */
  void forget(String user) {
    Account a = accounts.remove(user);
    if (a != null) {
      undo.add(new Undo(user, a, a.lastSeq, true));
    }
  }
}
