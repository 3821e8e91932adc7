package spartan.transport.socket;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Flow;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import spartan.core.ChatEvent;

/**
 * Feeds one session event stream into one connection, asking the core for more only while the
 * connection can write. At most {@link #WINDOW} events are requested and not yet written, so a
 * client that stops reading costs the server a bounded buffer; everything else waits in the user's
 * inbox, which the core reads again when demand returns.
 *
 * <p>Signals arrive on the core's delivery threads and are handed to the channel's event loop,
 * where all state lives. {@code request} is called on the event loop: the Flow contract requires it
 * to be cheap and non-blocking, and the core's implementation only schedules a drain.
 */
final class EventPump implements Flow.Subscriber<ChatEvent> {
  /** Events requested from the core and not yet written to the socket. */
  static final int WINDOW = 32;

  /** What the pump needs from its connection; all methods are called on the event loop. */
  interface Sink {
    /** Writes {@code e}, or holds it until the channel is writable. */
    void deliver(EventPump from, ChatEvent e);

    /** The stream ended on its own ({@code error} null for a normal end). */
    void ended(EventPump from, Throwable error);

    /** Whether the connection may take more events now. */
    boolean canTakeMore();

    /** Cancels a subscription off the event loop (a call into the core). */
    void cancelLater(Flow.Subscription s);
  }

  private final Sink sink;
  private final EventExecutor loop;
  private volatile boolean retired;
  private final ConcurrentLinkedQueue<ChatEvent> arrived = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private volatile boolean endSignalled;
  private volatile Throwable endError;

  // Event-loop confined.
  private Flow.Subscription subscription;
  private boolean active;
  private long outstanding;
  private boolean done;
  private Throwable doneError;

  EventPump(Sink sink, EventExecutor loop) {
    this.sink = sink;
    this.loop = loop;
  }

  /** Marks this pump as replaced or finished: its end is expected and is not reported. */
  void retire() {
    retired = true;
  }

  boolean isRetired() {
    return retired;
  }

  /** Starts asking for events; called on the event loop once the reply that started it is out. */
  void activate() {
    active = true;
    if (done) {
      sink.ended(this, doneError); // it ended before it was the connection's stream
      return;
    }
    refill();
  }

  /** Asks for more if there is room; call on the event loop whenever room may have appeared. */
  void refill() {
    if (!active || subscription == null || retired || !sink.canTakeMore()) {
      return;
    }
    if (outstanding <= WINDOW / 2) {
      long n = WINDOW - outstanding;
      outstanding = WINDOW;
      subscription.request(n);
    }
  }

  /** Stops the stream (connection closed or stream replaced). Event loop only. */
  void cancel() {
    retired = true;
    if (subscription != null) {
      sink.cancelLater(subscription);
      subscription = null;
    }
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    onLoop(
        () -> {
          if (retired) {
            sink.cancelLater(s);
            return;
          }
          subscription = s;
          refill();
        });
  }

  /**
   * Events cross to the event loop through a queue: one loop task takes every event that arrived
   * meanwhile (the usual work-in-progress drain), so a busy stream costs one hand-off per batch,
   * not one per event. Flow's rule 1.3 makes the core's signals serial, so the queue has one
   * producer; the end of the stream goes through the same drain, after the events before it.
   */
  @Override
  public void onNext(ChatEvent e) {
    arrived.offer(e);
    signal();
  }

  @Override
  public void onError(Throwable t) {
    endError = t;
    endSignalled = true;
    signal();
  }

  @Override
  public void onComplete() {
    endSignalled = true;
    signal();
  }

  private void signal() {
    if (wip.getAndIncrement() == 0) {
      onLoop(this::drainArrived);
    }
  }

  private void drainArrived() {
    int missed = 1;
    do {
      for (ChatEvent e; (e = arrived.poll()) != null; ) {
        outstanding--;
        sink.deliver(this, e);
      }
      if (endSignalled && !done) {
        end(endError);
      } else {
        refill();
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  private void end(Throwable error) {
    done = true;
    doneError = error;
    sink.ended(this, error);
  }

  private void onLoop(Runnable r) {
    try {
      loop.execute(r);
    } catch (RejectedExecutionException shuttingDown) {
      // The server is stopping; the connection is going away with its loop.
    }
  }
}
