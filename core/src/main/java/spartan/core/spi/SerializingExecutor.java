package spartan.core.spi;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order they were submitted, on an underlying executor: the
 * one drain loop of the code base (grpc-java's {@code SerializingExecutor} is the model). Tasks
 * that arrive while a turn is running join that turn, so a busy lane costs one hand-off to the
 * underlying executor per batch rather than one per task, and no two tasks of one lane ever run
 * at once, so they need no locks between them. A task that blocks holds up only the tasks
 * behind it on its lane.
 *
 * <p>A task that throws is logged and the lane goes on with the next one. If the underlying
 * executor rejects the hand-off (it is shut down), the tasks waiting on this lane are dropped
 * and {@link #execute} throws {@link RejectedExecutionException} to the caller that triggered
 * it; the lane stays usable, and a later task is handed off afresh.
 *
 * <p>Thread-safe. Null tasks are refused with {@link NullPointerException}.
 */
public final class SerializingExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerializingExecutor.class);

  private final Executor executor;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private final Runnable turn = this::runTurn;

  /** A lane running its tasks on {@code executor}, which may be any executor but this lane. */
  public SerializingExecutor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  @Override
  public void execute(Runnable task) {
    tasks.offer(Objects.requireNonNull(task, "task"));
    if (wip.getAndIncrement() == 0) {
      try {
        executor.execute(turn);
      } catch (RejectedExecutionException e) {
        // Nobody will run this turn: forget what waits, so the lane is idle again.
        tasks.clear();
        wip.set(0);
        throw e;
      }
    }
  }

  private void runTurn() {
    int missed = 1;
    do {
      for (Runnable r; (r = tasks.poll()) != null; ) {
        try {
          r.run();
        } catch (RuntimeException e) {
          log.warn("a serialized task threw", e);
        }
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /**
   * A signal that coalesces: however often {@link Runnable#run} is called, at most one run of
   * {@code work} is waiting on {@code lane} at a time, and every call is followed by a run of
   * {@code work} that starts after it. For "something changed, drain" work whose every run
   * takes in all that changed, so a burst of signals costs one run instead of a queue of them.
   * A rejected hand-off clears the signal and rethrows.
   */
  public static Runnable coalescing(SerializingExecutor lane, Runnable work) {
    Objects.requireNonNull(lane, "lane");
    Objects.requireNonNull(work, "work");
    AtomicInteger waiting = new AtomicInteger();
    Runnable run =
        () -> {
          waiting.set(0); // a signal from now on needs another run
          work.run();
        };
    return () -> {
      if (waiting.compareAndSet(0, 1)) {
        try {
          lane.execute(run);
        } catch (RejectedExecutionException e) {
          waiting.set(0);
          throw e;
        }
      }
    };
  }
}
