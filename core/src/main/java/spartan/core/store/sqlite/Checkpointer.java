package spartan.core.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.spi.SerializingExecutor;

/**
 * Checkpoints the WAL mostly on a thread of its own, and keeps the WAL from growing without end.
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold: it copies pages
 * into the database file and (with {@code synchronous=NORMAL}) fsyncs, and every write queued
 * behind that commit waits — the p99 of a steady load was the checkpoint's fsync. So the writer
 * turns the automatic checkpoint off and tells this class how much each commit wrote; every
 * {@link #ROWS_PER_CHECKPOINT} rows a PASSIVE checkpoint runs on a separate connection, beside the
 * writer (WAL lets the writer keep appending meanwhile). Rows, not writes: a message to a group of
 * a thousand is one write and a thousand inbox rows, and counted as one it let the WAL grow by
 * gigabytes between checkpoints, each commit paying the kernel to extend the file.
 *
 * <p>That alone never lets the WAL start again from its beginning: SQLite rewinds it only when a
 * write begins with every frame already copied, and under steady writes the writer always adds
 * frames while the checkpoint copies. The WAL then grew by gigabytes in minutes, every commit
 * extended the file (the kernel allocating and zeroing new blocks), and a restart had all of it to
 * replay. So the background passes go on, each copying what the writer added during the one
 * before, until one had at most {@link #FINISH_FRAMES} new frames to copy; then the writer finishes
 * the checkpoint itself between two batches ({@link #finishIfWanted}): no write runs then, so the
 * pass copies the rest, and the next commit rewinds the WAL, which stays the size of a few thousand
 * writes ({@code journal_size_limit} cuts a larger file back). The writer pays for a short copy
 * and the fsyncs, about once per {@link #ROWS_PER_CHECKPOINT} rows.
 *
 * <p>Durability is unchanged: a commit is in the WAL before its futures complete, checkpointed or
 * not, and SQLite replays the WAL on open. At most one checkpoint runs at a time; an idle store
 * holds no thread (the background thread ends after {@link #IDLE_SECONDS} idle). Thread-safe.
 */
final class Checkpointer {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

  /**
   * Rows inserted, updated or deleted, and each write one more, between checkpoints: a direct
   * message counts three and its ack about one more, so this is a few thousand messages, about
   * SQLite's own 1,000-page threshold; a message to a group of a thousand counts a thousand.
   */
  static final int ROWS_PER_CHECKPOINT = 16_384;

  /**
   * New frames the last background pass may have copied before the writer finishes: a few
   * megabytes at most, so what the writer copies is about a millisecond's work besides the fsyncs.
   */
  static final int FINISH_FRAMES = 1_024;

  /** Background passes in a row, each copying what the writer added during the one before. */
  private static final int MAX_PASSES = 4;

  private static final int IDLE_SECONDS = 30;

  private final String url;
  private final ExecutorService thread;
  private final Runnable wake;
  private final AtomicLong sinceLast = new AtomicLong();
  private Connection connection; // guarded by this
  /** A background pass left a short tail: the writer copies it between two batches. */
  private volatile boolean finishWanted;
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

  /**
   * Called by the writer after each commit, with its writes plus the rows they inserted, updated
   * or deleted.
   */
  void committed(long rows) {
    if (sinceLast.addAndGet(rows) >= ROWS_PER_CHECKPOINT && !closed) {
      sinceLast.set(0);
      try {
        wake.run();
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing: the last connection to close checkpoints anyway
      }
    }
  }

  private void checkpoint() {
    // Each pass copies the frames written since the one before; a pass that had few to copy was
    // short, so the writer wrote few meanwhile, and it can copy those itself.
    long before = -1;
    for (int i = 0; i < MAX_PASSES; i++) {
      long frames = pass();
      if (frames < 0) {
        return;
      }
      if (before >= 0 && frames >= before && frames - before <= FINISH_FRAMES) {
        finishWanted = true;
        return;
      }
      before = frames;
    }
  }

  /**
   * Called by the writer between two batches, when no write is running: if a background pass left
   * a short tail, copies it, so the next commit starts the WAL again from its beginning.
   */
  void finishIfWanted() {
    if (finishWanted && !closed) {
      finishWanted = false;
      pass();
    }
  }

  /** One PASSIVE checkpoint; the frames the WAL held, or -1 if it failed or left some. */
  private synchronized long pass() {
    if (closed) {
      return -1;
    }
    try {
      if (connection == null) {
        connection = Handle.connect(url, false);
      }
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        // (busy, frames in the WAL, frames checkpointed); a reader on an older snapshot can keep
        // some from being copied: then the WAL cannot start again yet, and the next pass tries.
        return rs.next() && rs.getLong(2) == rs.getLong(3) ? rs.getLong(2) : -1;
      }
    } catch (SQLException e) {
      // Not fatal: the WAL keeps every commit; the next checkpoint tries again.
      log.warn("WAL checkpoint failed: {}", e.toString());
      closeConnection();
      return -1;
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
    synchronized (this) {
      closeConnection();
    }
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
