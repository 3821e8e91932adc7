package spartan.core.store.sqlite;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * A connection and its prepared statements, used by one thread at a time (the writer, or a
 * reader between borrow and give-back), so the cache needs no locking.
 */
final class Handle {
  private static final Logger log = LoggerFactory.getLogger(Handle.class);

  /** How long a connection waits for a lock SQLite holds elsewhere before failing BUSY. */
  static final int BUSY_TIMEOUT_MS = 5_000;

  final Connection connection;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private Statement plain;

  Handle(Connection connection) {
    this.connection = connection;
  }

  /** A new connection to {@code url}: read-only, or read-write with foreign keys enforced. */
  static Connection connect(String url, boolean readOnly) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    config.setReadOnly(readOnly);
    if (!readOnly) {
      config.enforceForeignKeys(true);
    }
    return DriverManager.getConnection(url, config.toProperties());
  }

  PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    } else {
      ps.clearParameters();
    }
    return ps;
  }

  void execute(String sql) throws SQLException {
    if (plain == null) {
      plain = connection.createStatement();
    }
    plain.execute(sql);
  }

  void close() {
    try {
      connection.close(); // closes its statements too
    } catch (SQLException e) {
      log.debug("Closing a store connection failed", e);
    }
  }

  static void rollbackQuietly(Connection c) {
    try (Statement s = c.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // nothing was open, or the connection is gone; either way nothing to undo
    }
  }
}
