package spartan.core.store.sqlite;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import spartan.core.ChatException;

/**
 * The store's read side: reads run on the caller's thread, each on its own read-only connection
 * (WAL lets readers run beside the writer without blocking it), taken from a small pool and kept
 * for reuse. A reader sees every write whose future has completed. Thread-safe.
 */
final class ReaderPool {
  /**
   * Reads in flight at once, each on its own read-only connection, all kept for reuse. Without a
   * cap, a burst on a few hundred call threads would open (and parse the schema for, and hold a
   * page cache for) a connection per thread; past the cap a read waits, briefly, for a turn.
   */
  static final int MAX_READERS = 8;

  private static final int MAX_IDLE_READERS = MAX_READERS;

  private final String url;
  private final ErrorClassifier errors;
  private final ArrayDeque<Handle> idleReaders = new ArrayDeque<>(); // guarded by itself
  private final Semaphore readPermits = new Semaphore(MAX_READERS, true);
  private boolean readersClosed; // guarded by idleReaders

  ReaderPool(String url, ErrorClassifier errors) {
    this.url = url;
    this.errors = errors;
  }

  /** Runs {@code task} on a pooled read-only connection; failures are classified. */
  <T> T read(SqlTask<T> task) {
    try {
      if (!readPermits.tryAcquire(Handle.BUSY_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        throw ChatException.unavailable("The message store is busy; try again shortly.");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ChatException.unavailable("Interrupted while waiting for the message store.");
    }
    try {
      Handle h = borrowReader();
      boolean healthy = true;
      try {
        return task.run(h);
      } catch (SQLException e) {
        healthy = false; // do not pool a connection in an unknown state
        throw errors.classify(e, "read");
      } catch (RuntimeException e) {
        throw errors.classify(e, "read");
      } finally {
        giveBack(h, healthy);
      }
    } finally {
      readPermits.release();
    }
  }

  private Handle borrowReader() {
    synchronized (idleReaders) {
      if (readersClosed) {
        throw ErrorClassifier.closed();
      }
      Handle h = idleReaders.pollFirst();
      if (h != null) {
        return h;
      }
    }
    try {
      return new Handle(Handle.connect(url, true));
    } catch (SQLException e) {
      throw errors.classify(e, "open reader");
    }
  }

  private void giveBack(Handle h, boolean healthy) {
    synchronized (idleReaders) {
      if (healthy && !readersClosed && idleReaders.size() < MAX_IDLE_READERS) {
        idleReaders.addFirst(h);
        return;
      }
    }
    h.close();
  }

  /**
   * Closes the idle connections; reads after this fail with {@code UNAVAILABLE}, and one in
   * flight closes its connection when it ends.
   */
  void close() {
    List<Handle> idle;
    synchronized (idleReaders) {
      readersClosed = true;
      idle = new ArrayList<>(idleReaders);
      idleReaders.clear();
    }
    idle.forEach(Handle::close);
  }
}
