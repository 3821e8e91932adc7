package spartan.core.store.sqlite;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.spi.ChatMetrics;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;

/**
 * The store's write side: the only user of the write connection. Every write is queued; the
 * queue is drained on a {@link SerializingExecutor} lane over the injected executor when it goes
 * non-empty, and each drain runs what is pending in batches of at most {@link #MAX_BATCH}, each
 * batch <em>one</em> transaction in which one failing write does not fail the others (the batch
 * runs plainly first, and again with a savepoint per write only if a write in it failed),
 * committed before any of its futures completes. That is group commit;
 * {@link #runBatch} is the loop to look at for speed. The futures complete in commit order: those
 * of {@link #submit} on a completion lane when one is given (one hand-off per batch, so the writer
 * only writes), else on the writer thread; those of {@link #write} always on the writer. The
 * writer's counters ({@link WriterState}) ride on the write handle and follow each savepoint and
 * commit. Nothing polls: an idle writer holds no thread. Thread-safe.
 */
final class GroupCommitWriter {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /** Most writes one transaction carries, so futures keep completing under sustained load. */
  static final int MAX_BATCH = 1024;

  /**
   * Most writes queued and not yet committed. Beyond this the store is overloaded and says so
   * rather than growing the queue without bound.
   */
  static final int MAX_PENDING = 65_536;

  private final Handle writeSide;
  private final ErrorClassifier errors;
  /** Told of every commit; checkpoints the WAL off this thread. */
  private final Checkpointer checkpointer;
  /** Where the futures of {@link #submit} complete, one task per batch, in order; null: here. */
  private final SerializingExecutor completions;
  /** The thread running a batch's completions on the lane now, if any. */
  private volatile Thread completingThread;
  /** Runs once, on the writer, after the write connection is closed by {@link #close}. */
  private final Runnable afterClose;

  private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
  /** Asks for a run of {@link #drain} on the writer's lane; coalesces, so one run at a time. */
  private final Runnable wake;
  /** Held by whichever thread drains, the lane or a caller after a rejected hand-off. */
  private final Object draining = new Object();
  private final AtomicInteger pending = new AtomicInteger();
  /** The thread running {@link #drain} now, so re-entrant calls from callbacks do not deadlock. */
  private volatile Thread drainThread;
  /** Touched only by the drain. */
  private boolean writerClosed;
  /** The write connection's {@link Handle#totalChanges} at the last commit; only the drain. */
  private long changesCounted;

  private volatile boolean closing;
  private volatile ChatMetrics metrics = ChatMetrics.NONE;
  private CompletableFuture<Void> closed; // guarded by this

  /**
   * @param executor runs the drains (writes and commits)
   * @param completions runs the completion of {@link #submit}'s futures, or null to complete
   *     them on the writer thread
   */
  GroupCommitWriter(
      Handle writeSide,
      Executor executor,
      Executor completions,
      Checkpointer checkpointer,
      ErrorClassifier errors,
      Runnable afterClose) {
    this.writeSide = writeSide;
    this.checkpointer = checkpointer;
    this.completions = completions == null ? null : new SerializingExecutor(completions);
    this.errors = errors;
    this.afterClose = afterClose;
    this.wake = SerializingExecutor.coalescing(new SerializingExecutor(executor), this::drain);
  }

  /** Reports each commit's size and duration to {@code metrics} from now on. */
  void reportTo(ChatMetrics metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** Writes queued and not yet completed. */
  int pendingWrites() {
    return pending.get();
  }

  private sealed interface Op permits Write, Close {}

  /** A queued write; an {@code inline} one completes on the writer (nothing is chained to it). */
  private record Write<T>(SqlTask<T> task, CompletableFuture<T> future, boolean inline)
      implements Op {}

  private record Close(CompletableFuture<Void> done) implements Op {}

  /**
   * Queues a write; the future completes after its batch commits (or fails), on the completion
   * lane if there is one, else on the writer.
   */
  <T> CompletableFuture<T> submit(SqlTask<T> task) {
    return submit(task, false);
  }

  private <T> CompletableFuture<T> submit(SqlTask<T> task, boolean inline) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(ErrorClassifier.closed());
      return f;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      f.completeExceptionally(
          ChatException.unavailable("The message store is overloaded; try again shortly."));
      return f;
    }
    queue.offer(new Write<>(task, f, inline));
    signal();
    return f;
  }

  /**
   * Submits a write and waits for its commit. Its future completes on the writer itself, so a
   * callback on the completion lane may call this without waiting for its own lane.
   */
  <T> T write(SqlTask<T> task) {
    CompletableFuture<T> f = submit(task, true);
    if (Thread.currentThread() == drainThread) {
      // A callback on the writer thread: run the queue here rather than wait for ourselves.
      drainQueue();
    }
    try {
      return f.join();
    } catch (CompletionException e) {
      throw ChatException.wrap(e.getCause());
    }
  }

  /**
   * Stops taking writes, waits until every write already queued has committed (or failed) and
   * its future completed, then closes the write connection and runs {@code afterClose}.
   * Idempotent; concurrent callers all wait, except a call from a completion callback on the
   * writer thread, which cannot wait for the writer and returns at once (the close then
   * completes when the callback returns).
   */
  void close() {
    CompletableFuture<Void> done;
    synchronized (this) {
      if (closed == null) {
        closed = new CompletableFuture<>();
        closing = true;
        queue.offer(new Close(closed));
        signal();
      }
      done = closed;
    }
    if (Thread.currentThread() == drainThread) {
      // Called from a completion callback on the writer thread: this thread is the drain, so
      // waiting would wait for itself. It owns the queue, so it runs what is queued here; if
      // the close was already taken off the queue, it completes as soon as the callback returns.
      drainQueue();
      return;
    }
    if (Thread.currentThread() == completingThread) {
      // From a callback on the completion lane, whose own turn must end before the close's.
      return;
    }
    done.join();
  }

  private void signal() {
    try {
      wake.run();
    } catch (RejectedExecutionException e) {
      // The executor is shut down (or saturated): drain here, so no future is left hanging.
      log.warn("Store writer executor rejected a drain; draining on the calling thread");
      drain();
    }
  }

  private void drain() {
    synchronized (draining) {
      drainThread = Thread.currentThread();
      try {
        drainQueue();
      } catch (RuntimeException e) {
        log.error("Message store writer failed unexpectedly", e); // a bug; keep draining
      } finally {
        // Cleared before giving up the drain, so a drain starting on another thread right after
        // is not mistaken for this one.
        drainThread = null;
      }
    }
  }

  /** Runs everything queued now, in batches; called only by the thread that owns the drain. */
  private void drainQueue() {
    List<Write<?>> batch = new ArrayList<>();
    for (Op op; (op = queue.poll()) != null; ) {
      if (op instanceof Write<?> w) {
        batch.add(w);
        if (batch.size() == MAX_BATCH) {
          runBatch(batch);
          batch = new ArrayList<>();
        }
      } else {
        runBatch(batch);
        batch = new ArrayList<>();
        closeAll(((Close) op).done());
      }
    }
    runBatch(batch);
  }

  /**
   * One transaction: the writes (with a savepoint each only on a second run, after a failure),
   * one commit, then the futures in order — those of {@link #write} here, the rest handed to the
   * completion lane in one task.
   */
  private void runBatch(List<Write<?>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    int n = batch.size();
    Object[] results = new Object[n];
    Throwable[] failures = new Throwable[n];
    if (writerClosed) {
      Arrays.fill(failures, ErrorClassifier.closed());
    } else {
      Handle h = writeSide;
      WriterState state = h.state;
      long began = System.nanoTime(); // an interval for the metrics, not a time of day
      long took = -1;
      long changes = changesCounted;
      try {
        try {
          // The write connection is always in a transaction (JDBC auto-commit off), so the batch
          // is already open. First every write straight in it; if one fails, the whole batch is
          // undone and run again with each write in its own savepoint, so the failure is its
          // alone. Failures are rare, and a savepoint costs two statements per write.
          if (!runWrites(h, batch, results, failures, false)) {
            h.connection.rollback();
            state.forgetAll();
            Arrays.fill(results, null);
            runWrites(h, batch, results, failures, true);
          }
          changes = h.totalChanges(); // here: a failure after the commit would fail committed writes
          h.connection.commit();
          took = System.nanoTime() - began;
        } catch (SQLException | RuntimeException e) {
          Handle.rollbackQuietly(h.connection);
          throw e;
        }
      } catch (SQLException | RuntimeException e) {
        state.forgetAll();
        Arrays.fill(results, null);
        Arrays.fill(failures, errors.classify(e, "commit"));
      }
      if (took >= 0) {
        metrics.storeCommitted(n, took);
        // Rows, as SQLite counts them, weigh what a batch wrote to the WAL better than writes do.
        checkpointer.committed(n + changes - changesCounted);
        changesCounted = changes;
      }
    }
    pending.addAndGet(-n);
    List<Runnable> later = null;
    for (int i = 0; i < n; i++) {
      Write<?> w = batch.get(i);
      Object result = results[i];
      Throwable failure = failures[i];
      if (w.inline() || completions == null) {
        complete(w, result, failure);
      } else {
        if (later == null) {
          later = new ArrayList<>(n - i);
        }
        later.add(() -> complete(w, result, failure));
      }
    }
    if (later != null) {
      List<Runnable> tasks = later;
      handOff(() -> tasks.forEach(Runnable::run));
    }
    if (!writerClosed) {
      checkpointer.finishIfWanted(); // between batches, once this one's answers are on their way
    }
  }

  /**
   * Runs the batch's writes in the open transaction. Without savepoints it stops at the first
   * write that fails and returns false (the caller undoes the batch); with them each failing
   * write is rolled back alone, its failure recorded, and the rest go on.
   */
  private boolean runWrites(
      Handle h, List<Write<?>> batch, Object[] results, Throwable[] failures, boolean savepoints)
      throws SQLException {
    WriterState state = h.state;
    for (int i = 0; i < batch.size(); i++) {
      if (!savepoints) {
        int appends = appendsFrom(batch, i);
        if (appends > 1) {
          // Consecutive appends in one go; if it fails the caller runs the batch again, each
          // write alone in its savepoint.
          try {
            state.beginWrite();
            List<ChatStore.Draft> drafts = new ArrayList<>(appends);
            for (int j = i; j < i + appends; j++) {
              drafts.add(((AppendTask) batch.get(j).task()).draft());
            }
            List<?> done = MessageSql.appendAll(h, drafts);
            for (int j = 0; j < appends; j++) {
              results[i + j] = done.get(j);
            }
          } catch (SQLException | RuntimeException e) {
            return false;
          }
          i += appends - 1;
          continue;
        }
      }
      if (savepoints) {
        h.run("SAVEPOINT w");
      }
      try {
        state.beginWrite();
        results[i] = batch.get(i).task().run(h);
        if (savepoints) {
          h.run("RELEASE w");
        }
      } catch (SQLException | RuntimeException e) {
        if (!savepoints) {
          return false;
        }
        // Undo just this write; the rest of the batch still commits.
        h.run("ROLLBACK TO w");
        h.run("RELEASE w");
        state.undoWrite();
        failures[i] = errors.classify(e, "write");
      }
    }
    return true;
  }

  /** How many appends run in a row in {@code batch} from {@code i} on. */
  private static int appendsFrom(List<Write<?>> batch, int i) {
    int j = i;
    while (j < batch.size() && batch.get(j).task() instanceof AppendTask) {
      j++;
    }
    return j - i;
  }

  /** Runs {@code r} on the completion lane, or here if its executor refuses (shut down). */
  private void handOff(Runnable r) {
    Runnable marked =
        () -> {
          completingThread = Thread.currentThread();
          try {
            r.run();
          } finally {
            completingThread = null;
          }
        };
    try {
      completions.execute(marked);
    } catch (RejectedExecutionException e) {
      marked.run();
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Write<T> w, Object result, Throwable error) {
    if (error != null) {
      w.future().completeExceptionally(error);
    } else {
      w.future().complete((T) result);
    }
  }

  private void closeAll(CompletableFuture<Void> done) {
    if (!writerClosed) {
      writerClosed = true;
      writeSide.close();
      afterClose.run();
    }
    if (completions == null) {
      done.complete(null);
    } else {
      handOff(() -> done.complete(null)); // after every earlier future has completed
    }
  }
}
