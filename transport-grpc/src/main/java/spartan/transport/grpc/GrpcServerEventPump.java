package spartan.transport.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.spi.TransportOptions;
import spartan.proto.v1.ChatProto;

/**
 * Carries one session's event stream ({@link spartan.core.Session#events}) onto one {@code
 * ReceiveMsg} call, at the pace the client reads — the pattern of grpc-java's
 * examples/manualflowcontrol. Events are requested from the core only while the call {@code
 * isReady()}, at most {@link #WINDOW} ahead, so a client that stops reading stops the flow after
 * gRPC's per-stream buffer fills, and its messages wait in its inbox. A cancelled call (the client
 * went away, or keepalive declared it dead) cancels the core subscription at once.
 *
 * <p>Thread-safety: the core signals serially (on its delivery executor); gRPC calls {@link
 * #onReady} and {@link #onCancel} on the server executor; {@link #shutdown} may come from any
 * thread. Writes to the call are serialized by the monitor of this object.
 */
final class GrpcServerEventPump implements Flow.Subscriber<ChatEvent> {
  private static final Logger log = LoggerFactory.getLogger(GrpcServerEventPump.class);

  /**
   * Events requested from the core and not yet received ({@link
   * TransportOptions#ENCODED_EVENT_WINDOW}). Each may be written to gRPC after the call stopped
   * being ready, so this bounds what the server buffers beyond gRPC's own onReady threshold (32
   * KiB): at most this many messages, each at most one frame.
   */
  static final int WINDOW = TransportOptions.ENCODED_EVENT_WINDOW;

  private final ServerCallStreamObserver<Object> call;
  private final EventWire wire;
  private final DeliveryStats stats;
  private final Runnable onDone;
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile Flow.Subscription subscription;
  private volatile boolean cancelled;
  private boolean closed; // guarded by this

  /**
   * @param call the {@code ReceiveMsg} call, bound with {@link EventWire#MARSHALLER}: it takes
   *     {@code ChatProto.Event}s and {@link EventWire.Encoded} events
   */
  GrpcServerEventPump(
      ServerCallStreamObserver<Object> call,
      EventWire wire,
      DeliveryStats stats,
      Runnable onDone) {
    this.call = call;
    this.wire = wire;
    this.stats = stats;
    this.onDone = onDone;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (cancelled) {
      s.cancel();
      return;
    }
    // Tells the client the subscription is in place (the session now counts as online).
    write(ProtoMapping.STARTED);
    topUp();
  }

  @Override
  public void onNext(ChatEvent event) {
    outstanding.decrementAndGet();
    Object e = wire.event(event);
    if (write(e)) {
      stats.sent(EventWire.size(e));
    }
    topUp();
  }

  @Override
  public void onError(Throwable t) {
    log.debug("event stream failed", t);
    close(StatusMapping.toStatus(t));
  }

  @Override
  public void onComplete() {
    close(null);
  }

  /** gRPC's onReady handler: the client caught up, so ask the core for more. */
  void onReady() {
    topUp();
  }

  /** gRPC's onCancel handler: the call is gone; stop the core stream so new messages queue. */
  void onCancel() {
    cancelled = true;
    synchronized (this) {
      closed = true;
    }
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    finish();
  }

  /** Ends the call because the server is shutting down; the client may reconnect elsewhere. */
  void shutdown() {
    cancelled = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    close(Status.UNAVAILABLE.withDescription("The server is shutting down.").asRuntimeException());
  }

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      onDone.run();
    }
  }

  private void topUp() {
    Flow.Subscription s = subscription;
    if (s == null || cancelled) {
      return;
    }
    while (true) {
      int current = outstanding.get();
      if (current > WINDOW / 2 || !call.isReady()) {
        return;
      }
      if (outstanding.compareAndSet(current, WINDOW)) {
        s.request(WINDOW - current);
        return;
      }
    }
  }

  private synchronized boolean write(Object e) {
    if (closed) {
      return false;
    }
    try {
      call.onNext(e);
      return true;
    } catch (RuntimeException ex) {
      // The call died under us (e.g. cancelled); onCancel stops the stream.
      log.debug("dropping event for a closed call", ex);
      return false;
    }
  }

  /** Completes the call, or fails it with {@code failure} when that is not null. */
  private void close(StatusRuntimeException failure) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (failure == null) {
          call.onCompleted();
        } else {
          call.onError(failure);
        }
      } catch (RuntimeException ex) {
        log.debug("closing an already closed call", ex);
      }
    }
    finish();
  }
}
