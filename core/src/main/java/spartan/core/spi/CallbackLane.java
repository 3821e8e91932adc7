package spartan.core.spi;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in order, on an executor where blocking is fine: how a connector's
 * user-facing signals (a stream's subscriber calls, a session's send receipts) leave its network
 * event loop. Tasks that arrive while the lane runs join its current turn, so a busy stream costs
 * one thread hand-off per batch instead of one per signal, which in the benchmark was the largest
 * cost left on the client (grpc-java's SerializingExecutor is the same idea; with it on every
 * gRPC callback the gRPC transport did 32k msg/s, with callbacks on the loop and user signals on
 * lanes 95k). A task that blocks holds up the tasks behind it on its lane only. Thread-safe.
 */
public final class CallbackLane implements Executor {
  private static final Logger log = LoggerFactory.getLogger(CallbackLane.class);

  private final Executor executor;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();

  /** A lane running its tasks on {@code executor}. */
  public CallbackLane(Executor executor) {
    this.executor = executor;
  }

  @Override
  public void execute(Runnable task) {
    tasks.offer(task);
    if (wip.getAndIncrement() == 0) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException closed) {
        // The connector is closing: nobody is left to run these for.
        tasks.clear();
        wip.set(0);
      }
    }
  }

  private void drain() {
    int missed = 1;
    do {
      for (Runnable r; (r = tasks.poll()) != null; ) {
        try {
          r.run();
        } catch (RuntimeException e) {
          log.warn("a callback threw", e);
        }
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }
}
