package spartan.transport.socket.client;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.spi.SerializingExecutor;

/**
 * The connector's side of one event subscription: events read from the socket wait in a small
 * buffer and are handed to the subscriber on the callback executor, honouring its demand. When the
 * buffer reaches {@link #HIGH_WATER} events the connection stops reading (TCP then holds the
 * server back, and the server leaves the rest in the inbox); it reads again below {@link
 * #LOW_WATER}. The buffer may overshoot by what one socket read had already brought in.
 *
 * <p>Signals to the subscriber are serialised on the core's {@link SerializingExecutor} over the
 * callback executor, never on the Netty event loop, so a subscriber may call the blocking session
 * methods. Thread-safe.
 */
final class SocketClientEventStream implements Flow.Subscription {
  private static final Logger log = LoggerFactory.getLogger(SocketClientEventStream.class);

  static final int HIGH_WATER = 256;
  static final int LOW_WATER = 64;

  private final Flow.Subscriber<? super ChatEvent> subscriber;
  /** Asks for a run of {@link #drain} on this stream's lane; coalesces. */
  private final Runnable signal;
  private final SocketClientHandler connection;

  private final ConcurrentLinkedQueue<ChatEvent> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong demand = new AtomicLong();
  private volatile boolean open;
  private volatile boolean cancelled;
  private volatile boolean ended;
  private volatile Throwable error;

  // Drain-confined.
  private boolean started;
  private boolean terminated;

  SocketClientEventStream(
      Flow.Subscriber<? super ChatEvent> subscriber,
      Executor executor,
      SocketClientHandler connection) {
    this.subscriber = Objects.requireNonNull(subscriber, "subscriber");
    this.signal = SerializingExecutor.coalescing(new SerializingExecutor(executor), this::drain);
    this.connection = connection;
  }

  /** Signals onSubscribe and starts delivering; call once the server confirmed the stream. */
  void open() {
    open = true;
    schedule();
  }

  /** Event loop: one event from the socket. */
  void offer(ChatEvent e) {
    if (cancelled || ended) {
      return;
    }
    size.incrementAndGet();
    queue.offer(e);
    schedule();
  }

  int buffered() {
    return size.get();
  }

  /**
   * Ends the stream: normally if {@code failure} is null, else with it. Like the core's own
   * streams, buffered events are dropped; they were not acked and come again on the next
   * subscription.
   */
  void end(Throwable failure) {
    if (!ended) {
      error = failure;
      ended = true;
      open = true; // a stream ended before it was confirmed still gets onSubscribe first
      schedule();
    }
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      end(new IllegalArgumentException("request(n) needs n > 0, was " + n)); // rule 3.9
      return;
    }
    demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
    schedule();
  }

  @Override
  public void cancel() {
    cancelled = true;
    schedule();
  }

  private void schedule() {
    if (!open) {
      return;
    }
    try {
      signal.run();
    } catch (RejectedExecutionException e) {
      cancelled = true; // the connector is closed: nobody is left to deliver to
    }
  }

  private void drain() {
    try {
      drainOnce();
    } catch (RuntimeException e) {
      log.warn("event subscriber threw; cancelling its stream", e);
      cancelled = true;
      terminated = true;
    }
  }

  private void drainOnce() {
    if (terminated) {
      discard();
      return;
    }
    if (!started) {
      started = true;
      subscriber.onSubscribe(this);
    }
    while (true) {
      if (cancelled) {
        terminated = true;
        discard();
        if (connection.stream() == this) {
          connection.streamTo(null);
        }
        return;
      }
      if (ended) {
        terminated = true;
        discard();
        Throwable t = error;
        if (t == null) {
          subscriber.onComplete();
        } else {
          subscriber.onError(t);
        }
        return;
      }
      if (demand.get() == 0) {
        break;
      }
      ChatEvent e = queue.poll();
      if (e == null) {
        break;
      }
      size.decrementAndGet();
      if (demand.get() != Long.MAX_VALUE) {
        demand.decrementAndGet();
      }
      subscriber.onNext(e);
    }
    if (connection.isPaused() && size.get() < LOW_WATER) {
      connection.resumeIfRoom();
    }
  }

  private void discard() {
    int n = 0;
    while (queue.poll() != null) {
      n++;
    }
    size.addAndGet(-n);
    if (connection.isPaused()) {
      connection.resumeIfRoom();
    }
  }
}
