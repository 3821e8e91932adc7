/**
 * The embedded store: {@code SqliteChatStore}, one SQLite file in WAL mode under a data directory,
 * and the parts it routes to, one job each. {@code GroupCommitWriter} is the write side, the only
 * user of the write connection, committing queued writes in batches on an injected executor;
 * {@code ReaderPool} is the read side, read-only connections used on the caller's thread; the SQL
 * is per aggregate ({@code AccountSql}, {@code GroupSql}, {@code MessageSql}, {@code MetaSql});
 * {@code SqliteSchema} holds the migrations, {@code DataDirectory} the locked, private data
 * directory, and {@code ErrorClassifier} turns what SQLite throws into what a client may see.
 */
package spartan.core.store.sqlite;
