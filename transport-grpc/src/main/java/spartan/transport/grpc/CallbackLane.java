package spartan.transport.grpc;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in order, on an executor where blocking is fine: how the connector's
 * user-facing signals (a stream's subscriber calls, a session's send receipts) leave the Netty
 * event loop, since the channel runs gRPC's own callbacks on the loop ({@code directExecutor}).
 * Tasks that arrive while the lane runs join its current turn, so a busy stream costs one
 * hand-off per batch. This is grpc-java's SerializingExecutor, moved to where it only carries
 * work that may block; with gRPC's callbacks themselves going through one per call, two thread
 * hand-offs per message on the client cost two thirds of the gRPC transport's throughput in the
 * benchmark (32k against 96k msg/s with the channel's callbacks on the loop). Thread-safe.
 */
final class CallbackLane implements Executor {
  private static final Logger log = LoggerFactory.getLogger(CallbackLane.class);

  private final Executor executor;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();

  CallbackLane(Executor executor) {
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
