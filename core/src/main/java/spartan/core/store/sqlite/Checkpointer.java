package spartan.core.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.spi.SerializingExecutor;

/**
 * Checkpoints the WAL on a thread of its own, so the writer never does. SQLite's automatic
 * checkpoint runs inside the commit that crosses its threshold: it copies pages into the database
 * file and (with {@code synchronous=NORMAL}) fsyncs, and every write queued behind that commit
 * waits — the p99 of a steady load was the checkpoint's fsync. The writer turns the automatic
 * checkpoint off and tells this class how many writes each commit carried; every {@link
 * #WRITES_PER_CHECKPOINT} writes a PASSIVE checkpoint runs on a separate connection, beside the
 * writer (WAL lets the writer keep appending meanwhile). Durability is unchanged: a commit is in
 * the WAL before its futures complete, checkpointed or not, and SQLite replays the WAL on open.
 *
 * <p>At most one checkpoint runs or waits at a time; an idle store holds no thread (the one
 * thread ends after {@link #IDLE_SECONDS} idle). Thread-safe.
 */
final class Checkpointer {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

  /** Writes committed between checkpoints; about SQLite's own 1,000-page threshold for chat. */
  static final int WRITES_PER_CHECKPOINT = 2_000;

  private static final int IDLE_SECONDS = 30;

  private final String url;
  private final ExecutorService thread;
  private final Runnable wake;
  private final AtomicInteger sinceLast = new AtomicInteger();
  private Connection connection; // touched only by the checkpoint lane
  private volatile boolean closed;

  Checkpointer(String url) {
    this.url = url;
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            1,
            1,
            IDLE_SECONDS,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "spartan-store-checkpoint");
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    this.thread = pool;
    this.wake = SerializingExecutor.coalescing(new SerializingExecutor(pool), this::checkpoint);
  }

  /** Called by the writer after each commit of {@code writes} writes. */
  void committed(int writes) {
    if (sinceLast.addAndGet(writes) >= WRITES_PER_CHECKPOINT && !closed) {
      sinceLast.set(0);
      try {
        wake.run();
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing: the last connection to close checkpoints anyway
      }
    }
  }

  private void checkpoint() {
    if (closed) {
      return;
    }
    try {
      if (connection == null) {
        connection = Handle.connect(url, false);
      }
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        rs.next(); // (busy, WAL frames, frames checkpointed): nothing to act on
      }
    } catch (SQLException e) {
      // Not fatal: the WAL keeps every commit; the next checkpoint tries again.
      log.warn("WAL checkpoint failed: {}", e.toString());
      closeConnection();
    }
  }

  /** Stops checkpointing, waits for one running, and closes its connection. */
  void close() {
    closed = true;
    thread.shutdown();
    try {
      if (!thread.awaitTermination(Handle.BUSY_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        log.warn("a WAL checkpoint is still running at close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("Closing the checkpoint connection failed", e);
      }
    }
  }
}
