package spartan.transport.socket.server;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import spartan.core.ChatEvent;
import spartan.core.spi.CallbackLane;
import spartan.core.spi.TransportOptions;

/**
 * Feeds one session event stream into one connection, asking the core for more only while the
 * connection can write. At most {@link #WINDOW} events are requested and not yet written, so a
 * client that stops reading costs the server a bounded buffer; everything else waits in the user's
 * inbox, which the core reads again when demand returns.
 *
 * <p>Signals arrive on the core's delivery threads and are handed to the channel's event loop,
 * where all state lives, through a {@link CallbackLane}: in order, and one loop task for all the
 * signals that arrived meanwhile, so a busy stream costs one hand-off per batch, not per event.
 * {@code request} is called on the event loop: the Flow contract requires it to be cheap and
 * non-blocking, and the core's implementation only schedules a drain.
 */
final class SocketServerEventPump implements Flow.Subscriber<ChatEvent> {
  /** Events requested from the core and not yet written ({@link TransportOptions#EVENT_WINDOW}). */
  static final int WINDOW = TransportOptions.EVENT_WINDOW;

  /** What the pump needs from its connection; all methods are called on the event loop. */
  interface Sink {
    /** Writes {@code e}, or holds it until the channel is writable. */
    void deliver(SocketServerEventPump from, ChatEvent e);

    /** The stream ended on its own ({@code error} null for a normal end). */
    void ended(SocketServerEventPump from, Throwable error);

    /** Whether the connection may take more events now. */
    boolean canTakeMore();

    /** Cancels a subscription off the event loop (a call into the core). */
    void cancelLater(Flow.Subscription s);
  }

  private final Sink sink;
  private final Executor onLoop;
  private volatile boolean retired;

  // Event-loop confined.
  private Flow.Subscription subscription;
  private boolean active;
  private long outstanding;
  private boolean done;
  private Throwable doneError;

  SocketServerEventPump(Sink sink, EventExecutor loop) {
    this.sink = sink;
    this.onLoop = new CallbackLane(loop); // a rejected task (loop shut down) is dropped
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
    onLoop.execute(
        () -> {
          if (retired) {
            sink.cancelLater(s);
            return;
          }
          subscription = s;
          refill();
        });
  }

  @Override
  public void onNext(ChatEvent e) {
    onLoop.execute(
        () -> {
          outstanding--;
          sink.deliver(this, e);
          refill();
        });
  }

  @Override
  public void onError(Throwable t) {
    onLoop.execute(() -> end(t));
  }

  @Override
  public void onComplete() {
    onLoop.execute(() -> end(null));
  }

  private void end(Throwable error) {
    done = true;
    doneError = error;
    sink.ended(this, error);
  }
}
