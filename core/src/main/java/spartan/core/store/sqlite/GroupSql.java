package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import spartan.core.ChatException;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStore.GroupRecord;
import spartan.core.store.ChatStore.MemberRecord;

/**
 * The SQL of the group aggregate: the {@code chat_group}, {@code member} and {@code invite}
 * tables, with the size and invitation bounds {@link ChatStore} states.
 */
final class GroupSql {
  private GroupSql() {}

  static GroupRecord create(
      Handle h, String group, String owner, GroupPolicy policy, Instant createdAt)
      throws SQLException {
    if (id(h, group) != null) {
      throw ChatException.exists("Group already exists: " + group + ".");
    }
    long uid = AccountSql.existing(h, owner);
    PreparedStatement ins =
        h.prepare(
            "INSERT INTO chat_group(name, created_s, created_ns, is_open, shared_history)"
                + " VALUES (?, ?, ?, ?, ?) RETURNING id");
    ins.setString(1, group);
    ins.setLong(2, createdAt.getEpochSecond());
    ins.setInt(3, createdAt.getNano());
    ins.setInt(4, policy.open() ? 1 : 0);
    ins.setInt(5, policy.sharedHistory() ? 1 : 0);
    long gid;
    try (ResultSet rs = ins.executeQuery()) {
      rs.next();
      gid = rs.getLong(1);
    }
    insertMember(h, gid, uid, GroupRole.OWNER, ChatStore.NOW);
    return load(h, gid);
  }

  static Optional<GroupRecord> find(Handle h, String group) throws SQLException {
    Long gid = id(h, group);
    return gid == null ? Optional.empty() : Optional.ofNullable(load(h, gid));
  }

  static boolean addMember(
      Handle h, String group, String user, GroupRole role, long since, int maxGroupSize)
      throws SQLException {
    long gid = existing(h, group);
    long uid = AccountSql.existing(h, user);
    PreparedStatement size =
        h.prepare(
            "SELECT count(*), EXISTS (SELECT 1 FROM member WHERE group_id = ?1"
                + " AND account_id = ?2) FROM member WHERE group_id = ?1");
    size.setLong(1, gid);
    size.setLong(2, uid);
    try (ResultSet rs = size.executeQuery()) {
      rs.next();
      if (rs.getInt(2) == 0 && rs.getLong(1) >= maxGroupSize) {
        throw ChatException.invalid(ChatStore.groupFull(group, maxGroupSize));
      }
    }
    PreparedStatement drop = h.prepare("DELETE FROM invite WHERE group_id = ? AND account_id = ?");
    drop.setLong(1, gid);
    drop.setLong(2, uid);
    drop.executeUpdate();
    return insertMember(h, gid, uid, role, since);
  }

  private static boolean insertMember(Handle h, long gid, long uid, GroupRole role, long since)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "INSERT INTO member(group_id, account_id, role, since, joined)"
                + " VALUES (?1, ?2, ?3,"
                + " CASE WHEN ?4 = " + ChatStore.SHARED
                + " THEN (SELECT shared_since FROM chat_group WHERE id = ?1)"
                + " WHEN ?4 < 0 THEN (SELECT coalesce(max(id), 0) FROM message) ELSE ?4 END,"
                + " (SELECT coalesce(max(joined), 0) + 1 FROM member WHERE group_id = ?1))"
                + " ON CONFLICT DO NOTHING");
    ps.setLong(1, gid);
    ps.setLong(2, uid);
    ps.setString(3, role.wireName());
    ps.setLong(4, since);
    return ps.executeUpdate() == 1;
  }

  static boolean removeMember(Handle h, String group, String user) throws SQLException {
    long gid = existing(h, group);
    Long uid = AccountSql.id(h, user);
    boolean removed = false;
    if (uid != null) {
      PreparedStatement ps = h.prepare("DELETE FROM member WHERE group_id = ? AND account_id = ?");
      ps.setLong(1, gid);
      ps.setLong(2, uid);
      removed = ps.executeUpdate() == 1;
    }
    deleteIfEmpty(h, gid);
    return removed;
  }

  static boolean setRole(Handle h, String group, String user, GroupRole role)
      throws SQLException {
    return updateRole(h, existing(h, group), user, role);
  }

  static boolean updateRole(Handle h, long gid, String user, GroupRole role) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "UPDATE member SET role = ? WHERE group_id = ?"
                + " AND account_id = (SELECT id FROM account WHERE name = ?)");
    ps.setString(1, role.wireName());
    ps.setLong(2, gid);
    ps.setString(3, user);
    return ps.executeUpdate() == 1;
  }

  static Void setPolicy(Handle h, String group, GroupPolicy policy) throws SQLException {
    long gid = existing(h, group);
    PreparedStatement ps =
        h.prepare(
            // The right-hand sides read the row as it was: the floor moves only when shared
            // history goes from off to on.
            "UPDATE chat_group SET is_open = ?1, shared_history = ?2, shared_since = CASE"
                + " WHEN ?2 = 1 AND shared_history = 0"
                + " THEN (SELECT coalesce(max(id), 0) FROM message) ELSE shared_since END"
                + " WHERE id = ?3");
    ps.setInt(1, policy.open() ? 1 : 0);
    ps.setInt(2, policy.sharedHistory() ? 1 : 0);
    ps.setLong(3, gid);
    ps.executeUpdate();
    return null;
  }

  static List<GroupRecord> groupsOf(Handle h, String user, String after, int limit)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "SELECT g.id FROM account a JOIN member m ON m.account_id = a.id"
                + " JOIN chat_group g ON g.id = m.group_id"
                + " WHERE a.name = ? AND g.name > ? ORDER BY g.name LIMIT ?");
    ps.setString(1, user);
    ps.setString(2, after == null ? "" : after);
    ps.setInt(3, limit);
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    List<GroupRecord> out = new ArrayList<>(ids.size());
    for (long gid : ids) {
      out.add(load(h, gid));
    }
    return out;
  }

  static List<String> invite(
      Handle h, String group, List<String> users, String by, Instant at, int maxGroupSize)
      throws SQLException {
    long gid = existing(h, group);
    List<String> fresh = new ArrayList<>();
    List<Long> freshIds = new ArrayList<>();
    PreparedStatement known =
        h.prepare(
            "SELECT EXISTS (SELECT 1 FROM member WHERE group_id = ?1 AND account_id = ?2)"
                + " OR EXISTS (SELECT 1 FROM invite WHERE group_id = ?1 AND account_id = ?2)");
    for (String u : users) {
      long uid = AccountSql.existing(h, u);
      known.setLong(1, gid);
      known.setLong(2, uid);
      boolean skip;
      try (ResultSet rs = known.executeQuery()) {
        skip = rs.next() && rs.getInt(1) == 1;
      }
      if (!skip && !freshIds.contains(uid)) {
        fresh.add(u);
        freshIds.add(uid);
      }
    }
    PreparedStatement size =
        h.prepare(
            "SELECT (SELECT count(*) FROM member WHERE group_id = ?1)"
                + " + (SELECT count(*) FROM invite WHERE group_id = ?1)");
    size.setLong(1, gid);
    long current;
    try (ResultSet rs = size.executeQuery()) {
      rs.next();
      current = rs.getLong(1);
    }
    if (current + fresh.size() > maxGroupSize) {
      throw ChatException.invalid(
          "Group " + group + " would exceed " + maxGroupSize + " members and invitations.");
    }
    PreparedStatement out = h.prepare("SELECT count(*) FROM invite WHERE inviter = ?");
    out.setString(1, by);
    try (ResultSet rs = out.executeQuery()) {
      rs.next();
      if (rs.getLong(1) + fresh.size() > 2L * maxGroupSize) {
        throw ChatException.invalid(ChatStore.tooManySent(2 * maxGroupSize));
      }
    }
    PreparedStatement pendingOf =
        h.prepare(
            "SELECT count(*), count(*) FILTER (WHERE inviter = ?2) FROM invite"
                + " WHERE account_id = ?1");
    PreparedStatement ins =
        h.prepare(
            "INSERT INTO invite(group_id, account_id, inviter, created_s, created_ns)"
                + " VALUES (?, ?, ?, ?, ?)");
    for (int i = 0; i < fresh.size(); i++) {
      pendingOf.setLong(1, freshIds.get(i));
      pendingOf.setString(2, by);
      try (ResultSet rs = pendingOf.executeQuery()) {
        rs.next();
        if (rs.getInt(1) >= Limits.MAX_PENDING_INVITES) {
          throw ChatException.invalid(fresh.get(i) + " has too many pending invitations.");
        }
        if (rs.getInt(2) >= Limits.MAX_PENDING_INVITES_PER_INVITER) {
          throw ChatException.invalid(fresh.get(i) + " has too many pending invitations from you.");
        }
      }
      ins.setLong(1, gid);
      ins.setLong(2, freshIds.get(i));
      ins.setString(3, by);
      ins.setLong(4, at.getEpochSecond());
      ins.setInt(5, at.getNano());
      ins.executeUpdate();
    }
    return fresh;
  }

  static List<GroupInvite> invitesOf(Handle h, String user) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "SELECT g.name, i.inviter, i.created_s, i.created_ns FROM account a"
                + " JOIN invite i ON i.account_id = a.id JOIN chat_group g ON g.id = i.group_id"
                + " WHERE a.name = ? ORDER BY i.created_s, i.created_ns, g.name");
    ps.setString(1, user);
    List<GroupInvite> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new GroupInvite(
                rs.getString(1),
                rs.getString(2),
                Instant.ofEpochSecond(rs.getLong(3), rs.getInt(4))));
      }
    }
    return out;
  }

  static boolean deleteInvite(Handle h, String group, String user) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "DELETE FROM invite WHERE group_id = (SELECT id FROM chat_group WHERE name = ?)"
                + " AND account_id = (SELECT id FROM account WHERE name = ?)");
    ps.setString(1, group);
    ps.setString(2, user);
    return ps.executeUpdate() == 1;
  }

  /** The group with id {@code gid} and its roster, or null if none. */
  static GroupRecord load(Handle h, long gid) throws SQLException {
    PreparedStatement g =
        h.prepare(
            "SELECT name, created_s, created_ns, is_open, shared_history FROM chat_group"
                + " WHERE id = ?");
    g.setLong(1, gid);
    String name;
    Instant created;
    GroupPolicy policy;
    try (ResultSet rs = g.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      name = rs.getString(1);
      created = Instant.ofEpochSecond(rs.getLong(2), rs.getInt(3));
      policy = new GroupPolicy(rs.getInt(4) == 1, rs.getInt(4) == 1 && rs.getInt(5) == 1);
    }
    PreparedStatement m =
        h.prepare(
            "SELECT a.name, m.role, m.since, m.joined FROM member m"
                + " JOIN account a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY a.name");
    m.setLong(1, gid);
    List<MemberRecord> roster = new ArrayList<>();
    try (ResultSet rs = m.executeQuery()) {
      while (rs.next()) {
        roster.add(
            new MemberRecord(
                rs.getString(1), GroupRole.parse(rs.getString(2)), rs.getLong(3), rs.getLong(4)));
      }
    }
    return new GroupRecord(gid, name, policy, roster, created);
  }

  static void deleteIfEmpty(Handle h, long gid) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "DELETE FROM chat_group WHERE id = ?1"
                + " AND NOT EXISTS (SELECT 1 FROM member WHERE group_id = ?1)");
    ps.setLong(1, gid);
    ps.executeUpdate();
  }

  /** The group's id, or null if no such group. */
  private static Long id(Handle h, String group) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT id FROM chat_group WHERE name = ?");
    ps.setString(1, group);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  /** The group's id; {@code NOT_FOUND} if no such group. */
  private static long existing(Handle h, String group) throws SQLException {
    Long gid = id(h, group);
    if (gid == null) {
      throw ChatException.notFound("No such group: " + group + ".");
    }
    return gid;
  }
}
