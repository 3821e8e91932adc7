package spartan.core.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import spartan.core.AuthMode;

/** The SQL of the {@code meta} table: settings the data directory remembers, such as auth mode. */
final class MetaSql {
  private MetaSql() {}

  static Optional<AuthMode> recordedAuthMode(Handle h) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT value FROM meta WHERE key = 'auth'");
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      try {
        return Optional.of(AuthMode.valueOf(rs.getString(1)));
      } catch (IllegalArgumentException unknown) {
        return Optional.empty(); // written by a newer Spartan with more modes
      }
    }
  }

  static Void recordAuthMode(Handle h, AuthMode mode) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "INSERT INTO meta(key, value) VALUES ('auth', ?)"
                + " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    ps.setString(1, mode.name());
    ps.executeUpdate();
    return null;
  }
}
