package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import spartan.core.ChatException;
import spartan.core.GroupRole;
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.GroupRecord;

/** The SQL of the account aggregate: the {@code account} table, its keys and its deletion. */
final class AccountSql {
  private AccountSql() {}

  static AccountRecord create(Handle h, String user, String passwordHash, Instant createdAt)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "INSERT INTO account(name, password_hash, created_s, created_ns)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING RETURNING id");
    ps.setString(1, user);
    ps.setString(2, passwordHash);
    ps.setLong(3, createdAt.getEpochSecond());
    ps.setInt(4, createdAt.getNano());
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw ChatException.exists("User already exists: " + user + ".");
      }
      return new AccountRecord(rs.getLong(1), user, passwordHash, createdAt);
    }
  }

  static Optional<AccountRecord> find(Handle h, String user) throws SQLException {
    PreparedStatement ps =
        h.prepare("SELECT id, password_hash, created_s, created_ns FROM account WHERE name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(
          new AccountRecord(
              rs.getLong(1),
              user,
              rs.getString(2),
              Instant.ofEpochSecond(rs.getLong(3), rs.getInt(4))));
    }
  }

  static long passwordAccounts(Handle h) throws SQLException {
    PreparedStatement ps =
        h.prepare("SELECT count(*) FROM account WHERE password_hash IS NOT NULL");
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0L;
    }
  }

  static Void putKeys(Handle h, String user, byte[] bundle) throws SQLException {
    PreparedStatement ps = h.prepare("UPDATE account SET public_keys = ? WHERE name = ?");
    ps.setBytes(1, bundle.clone());
    ps.setString(2, user);
    if (ps.executeUpdate() == 0) {
      throw ChatException.notFound("No such user: " + user + ".");
    }
    return null;
  }

  static Optional<byte[]> findKeys(Handle h, String user) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT public_keys FROM account WHERE name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.ofNullable(rs.getBytes(1)) : Optional.empty();
    }
  }

  static boolean delete(Handle h, String user) throws SQLException {
    Long id = id(h, user);
    if (id == null) {
      return false;
    }
    // The name may come back as a new account: the writer must not keep the old one's counters.
    h.state.forget(user);
    List<Long> groups = new ArrayList<>();
    PreparedStatement mine = h.prepare("SELECT group_id FROM member WHERE account_id = ?");
    mine.setLong(1, id);
    try (ResultSet rs = mine.executeQuery()) {
      while (rs.next()) {
        groups.add(rs.getLong(1));
      }
    }
    for (long g : groups) {
      GroupRecord record = GroupSql.load(h, g);
      String heir = record == null ? null : record.successorOf(user);
      if (heir != null) {
        GroupSql.updateRole(h, g, heir, GroupRole.OWNER);
      }
    }
    // Invitations it sent: the name may be taken again, and must not inherit them.
    PreparedStatement sent = h.prepare("DELETE FROM invite WHERE inviter = ?");
    sent.setString(1, user);
    sent.executeUpdate();
    // Inbox rows and memberships go by ON DELETE CASCADE.
    PreparedStatement del = h.prepare("DELETE FROM account WHERE id = ?");
    del.setLong(1, id);
    del.executeUpdate();
    for (long g : groups) {
      GroupSql.deleteIfEmpty(h, g);
    }
    return true;
  }

  static List<String> list(Handle h, String glob, String after, int limit) throws SQLException {
    // Names and normalised patterns exclude '[', so GLOB's only specials are * and ?.
    PreparedStatement ps =
        h.prepare("SELECT name FROM account WHERE name GLOB ? AND name > ? ORDER BY name LIMIT ?");
    ps.setString(1, glob);
    ps.setString(2, after == null ? "" : after);
    ps.setInt(3, limit);
    List<String> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The account's id, or null if no such account. */
  static Long id(Handle h, String user) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT id FROM account WHERE name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  /** The account's id; {@code NOT_FOUND} if no such account. */
  static long existing(Handle h, String user) throws SQLException {
    Long id = id(h, user);
    if (id == null) {
      throw ChatException.notFound("No such user: " + user + ".");
    }
    return id;
  }
}
