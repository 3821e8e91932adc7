package spartan.core.spi;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A {@link SerializingExecutor} for a connector's user-facing signals (a stream's subscriber
 * calls, a session's send receipts) leaving its network event loop: in order, one hand-off per
 * batch, on an executor where blocking is fine. Unlike the plain lane it never throws: once the
 * executor is closed the connector is closing and nobody is left to run these for, so the tasks
 * are dropped. Thread-safe.
 */
public final class CallbackLane implements Executor {
  private final SerializingExecutor lane;

  /** A lane running its tasks on {@code executor}. */
  public CallbackLane(Executor executor) {
    this.lane = new SerializingExecutor(executor);
  }

  @Override
  public void execute(Runnable task) {
    try {
      lane.execute(task);
    } catch (RejectedExecutionException closed) {
      // dropped, see the class comment
    }
  }
}
