package spartan.core.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's schema as an ordered list of migrations, so a data directory written by an
 * older Spartan is upgraded in place on open and one written by a newer Spartan is refused.
 * {@code PRAGMA user_version} holds the number of migrations applied.
 *
 * <p>To change the schema, append a migration; never edit one that has shipped. Each migration
 * runs in its own transaction together with the {@code user_version} bump, so a crash mid-upgrade
 * leaves the previous version intact.
 */
final class SqliteSchema {
  private static final Logger log = LoggerFactory.getLogger(SqliteSchema.class);

  private SqliteSchema() {}

  /** Migration {@code i} takes the schema from version {@code i} to {@code i + 1}. */
  static final List<List<String>> MIGRATIONS =
      List.of(
          // 0 -> 1: the first schema.
          List.of(
              // AUTOINCREMENT (not a plain rowid) so an id is never handed out twice, even after
              // the newest row was deleted: a re-created name must be a new account.
              // Instants are stored as epoch seconds plus nanos so every Instant round-trips.
              """
              CREATE TABLE account (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                name          TEXT NOT NULL UNIQUE,
                password_hash TEXT,
                created_s     INTEGER NOT NULL,
                created_ns    INTEGER NOT NULL,
                last_seq      INTEGER NOT NULL DEFAULT 0,
                acked_seq     INTEGER NOT NULL DEFAULT 0
              )""",
              """
              CREATE TABLE chat_group (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                name       TEXT NOT NULL UNIQUE,
                created_s  INTEGER NOT NULL,
                created_ns INTEGER NOT NULL
              )""",
              // Memberships hang off account ids, so deleting an account drops them by cascade
              // and a re-created name does not inherit the old account's groups.
              """
              CREATE TABLE member (
                group_id   INTEGER NOT NULL REFERENCES chat_group(id) ON DELETE CASCADE,
                account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                PRIMARY KEY (group_id, account_id)
              ) WITHOUT ROWID""",
              "CREATE INDEX member_by_account ON member(account_id, group_id)",
              // body holds TEXT for plain bodies and a BLOB for sealed ones; BLOB affinity means
              // SQLite never converts either (a NUMERIC column would turn the text "42" into 42).
              // Messages outlive their sender (they stay in others' histories), so sender_id is
              // not a foreign key. It keys de-duplication: ids are never reused, so a re-created
              // sender starts with a clean slate of client message ids.
              """
              CREATE TABLE message (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                conversation  TEXT NOT NULL,
                sender        TEXT NOT NULL,
                sender_id     INTEGER,
                to_kind       TEXT NOT NULL CHECK (to_kind IN ('u', 'g')),
                to_name       TEXT NOT NULL,
                body_kind     TEXT NOT NULL CHECK (body_kind IN ('t', 's')),
                body          BLOB NOT NULL,
                sent_s        INTEGER NOT NULL,
                sent_ns       INTEGER NOT NULL,
                client_msg_id TEXT
              )""",
              "CREATE INDEX message_by_conversation ON message(conversation, id)",
              """
              CREATE UNIQUE INDEX message_by_client_id ON message(sender_id, client_msg_id)
                WHERE client_msg_id IS NOT NULL""",
              """
              CREATE TABLE inbox (
                account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                seq        INTEGER NOT NULL,
                message_id INTEGER NOT NULL,
                PRIMARY KEY (account_id, seq)
              ) WITHOUT ROWID"""),
          // 1 -> 2: end-to-end public-key bundles, opaque to the server; gone with the account.
          List.of("ALTER TABLE account ADD COLUMN public_keys BLOB"),
          // 2 -> 3: a client message id is unique per sender within one conversation, not per
          // sender: the same id sent to two people is two messages. The old index's keys are a
          // subset of the new one's uniqueness, so existing rows always satisfy it. And a table
          // of facts about the data itself, such as the auth mode it was served in.
          List.of(
              "DROP INDEX message_by_client_id",
              """
              CREATE UNIQUE INDEX message_by_client_id
                ON message(sender_id, conversation, client_msg_id)
                WHERE client_msg_id IS NOT NULL""",
              """
              CREATE TABLE meta (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
              ) WITHOUT ROWID"""),
          // 3 -> 4: groups people can trust. Roles, a join policy, each member's history floor
          // and seniority, and invitations. Existing groups become invite-only and keep their
          // members, who keep reading all of the history they could read before (since = 0).
          // The creator was never recorded, so the owner is the author of the group's first
          // message if still a member, else its member with the oldest account; seniority
          // follows account age.
          List.of(
              "ALTER TABLE chat_group ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0",
              "ALTER TABLE chat_group ADD COLUMN shared_history INTEGER NOT NULL DEFAULT 0",
              "ALTER TABLE member ADD COLUMN role TEXT NOT NULL DEFAULT 'member'",
              "ALTER TABLE member ADD COLUMN since INTEGER NOT NULL DEFAULT 0",
              "ALTER TABLE member ADD COLUMN joined INTEGER NOT NULL DEFAULT 0",
              "UPDATE member SET joined = account_id",
              """
              UPDATE member SET role = 'owner' WHERE (group_id, account_id) IN (
                SELECT g.id, COALESCE(
                  (SELECT m.account_id FROM message msg
                     JOIN member m ON m.account_id = msg.sender_id AND m.group_id = g.id
                   WHERE msg.conversation = 'g:' || g.id ORDER BY msg.id LIMIT 1),
                  (SELECT m.account_id FROM member m WHERE m.group_id = g.id
                   ORDER BY m.account_id LIMIT 1))
                FROM chat_group g)""",
              // The inviter is kept by name: an invitation outlives nothing, so no foreign key.
              """
              CREATE TABLE invite (
                group_id   INTEGER NOT NULL REFERENCES chat_group(id) ON DELETE CASCADE,
                account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                inviter    TEXT NOT NULL,
                created_s  INTEGER NOT NULL,
                created_ns INTEGER NOT NULL,
                PRIMARY KEY (group_id, account_id)
              ) WITHOUT ROWID""",
              "CREATE INDEX invite_by_account ON invite(account_id, created_s, created_ns)"),
          // 4 -> 5: invitations counted per inviter (how many one user has out, and to whom),
          // and deleted with the inviter's account.
          List.of("CREATE INDEX invite_by_inviter ON invite(inviter, account_id)"),
          // 5 -> 6: the message id from which a shared-history group shares (newcomers read from
          // it). Groups already sharing keep sharing all of it; the others, if an admin turns
          // sharing on later, share from then on (setPolicy moves it), never their private era.
          List.of(
              "ALTER TABLE chat_group ADD COLUMN shared_since INTEGER NOT NULL DEFAULT 0",
              "UPDATE chat_group SET shared_since = (SELECT coalesce(max(id), 0) FROM message)"
                  + " WHERE shared_history = 0"));

  /** The version this build writes and understands. */
  static final int VERSION = MIGRATIONS.size();

  /**
   * Brings the database on {@code c} (the write connection, before anyone else uses it) up to
   * {@link #VERSION}, one migration per transaction.
   *
   * @throws IllegalStateException if its version is newer than this build's
   */
  static void migrate(Connection c, Path file) throws SQLException {
    int version;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      version = rs.next() ? rs.getInt(1) : 0;
    }
    if (version > VERSION) {
      throw new IllegalStateException(
          "The message store at "
              + file
              + " has schema version "
              + version
              + ", newer than this Spartan understands ("
              + VERSION
              + "). Run a newer Spartan, or point the data directory elsewhere.");
    }
    for (int v = version; v < VERSION; v++) {
      try (Statement s = c.createStatement()) {
        s.execute("BEGIN IMMEDIATE");
        try {
          for (String sql : MIGRATIONS.get(v)) {
            s.execute(sql);
          }
          s.execute("PRAGMA user_version=" + (v + 1));
          s.execute("COMMIT");
        } catch (SQLException | RuntimeException e) {
          Handle.rollbackQuietly(c);
          throw e;
        }
      }
      log.info("Message store {} migrated to schema version {}", file, v + 1);
    }
  }
}
