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
import org.sqlite.SQLiteConnection;

/**
 * A connection and its prepared statements, used by one thread at a time (the writer, or a
 * reader between borrow and give-back), so the cache needs no locking. Statements stay prepared
 * for the connection's life, transaction control ({@link #run}) included.
 */
final class Handle {
  private static final Logger log = LoggerFactory.getLogger(Handle.class);

  /** How long a connection waits for a lock SQLite holds elsewhere before failing BUSY. */
  static final int BUSY_TIMEOUT_MS = 5_000;

  final Connection connection;
  /** The writer's counters on the write connection; null on a reader's. */
  final WriterState state;
  private final Map<String, PreparedStatement> statements = new HashMap<>();

  /** A reader's handle. */
  Handle(Connection connection) {
    this(connection, null);
  }

  Handle(Connection connection, WriterState state) {
    this.connection = connection;
    this.state = state;
  }

  /**
   * A new connection to {@code url}: read-only, or read-write with foreign keys enforced. The
   * driver's generated-keys emulation is off (it costs a regex, a prepare and a query after every
   * INSERT): ids come from {@code RETURNING} or from the writer's own counters.
   */
  static Connection connect(String url, boolean readOnly) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    config.setReadOnly(readOnly);
    config.setGetGeneratedKeys(false);
    if (!readOnly) {
      config.enforceForeignKeys(true);
    }
    return DriverManager.getConnection(url, config.toProperties());
  }

  /**
   * Rows inserted, updated or deleted on this connection since it opened, as SQLite counts them
   * ({@code sqlite3_total_changes}): a native call, no statement.
   */
  long totalChanges() throws SQLException {
    return connection.unwrap(SQLiteConnection.class).getDatabase().total_changes();
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

  /**
   * Runs a statement without parameters or results, such as {@code BEGIN} or {@code RELEASE},
   * from the statement cache: the driver's plain {@code Statement.execute} would parse it with a
   * regex, prepare it and finalize it every time.
   */
  void run(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    }
    ps.execute();
  }

  void close() {
    try {
      connection.close(); // closes its statements too
    } catch (SQLException e) {
      log.debug("Closing a store connection failed", e);
    }
  }

  /**
   * Undoes the open transaction: through the driver on a connection with auto-commit off (the
   * writer's), which then opens the next one, else with a plain ROLLBACK.
   */
  static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
        return;
      }
    } catch (SQLException ignored) {
      // the connection is gone; nothing to undo
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // nothing was open, or the connection is gone; either way nothing to undo
    }
  }
}
