package spartan.core.store.sqlite;

import java.sql.SQLException;

/**
 * A unit of work on a connection, run by the writer (inside a batch's transaction) or by the
 * reader pool; it may throw a ChatException to fail just this unit.
 */
@FunctionalInterface
interface SqlTask<T> {
  T run(Handle h) throws SQLException;
}
