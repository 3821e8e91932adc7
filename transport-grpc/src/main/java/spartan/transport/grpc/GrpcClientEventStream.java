package spartan.transport.grpc;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.proto.v1.ChatProto;

/**
 * One {@code ReceiveMsg} call presented as a {@link Flow.Subscription}: the subscriber's demand
 * drives gRPC's {@code request(n)} (auto-request is off), so events the subscriber has not asked
 * for stay on the wire, then in the server's inbox.
 *
 * <p>{@code onSubscribe} is signalled when the server's {@code started} event arrives, i.e. once
 * the server-side subscription exists, so a caller that waited for it can rely on being online.
 * A call that fails before that signals {@code onSubscribe} then {@code onError}, as the core
 * does. gRPC's callbacks run on the event loop; every subscriber signal leaves it through the
 * stream's lane, in order; {@link #request} and {@link #cancel} may be called from any thread.
 */
final class GrpcClientEventStream
    implements ClientResponseObserver<ChatProto.ReceiveMsgRequest, ChatProto.Event>,
        Flow.Subscription {

  /** Most messages requested from gRPC ahead of delivery, whatever the subscriber's demand. */
  static final int CHUNK = 64;

  private final Flow.Subscriber<? super ChatEvent> subscriber;
  /** Every subscriber signal runs here, in order: gRPC's callbacks run on the event loop. */
  private final Executor lane;
  private ClientCallStreamObserver<ChatProto.ReceiveMsgRequest> call;

  // Guarded by this: the subscriber's unmet demand and what has been asked of gRPC for it.
  private long demand;
  private int requested;

  private boolean subscribed; // touched only in gRPC callbacks, which are serialized
  private volatile boolean cancelled;
  private volatile ChatException pendingError;

  GrpcClientEventStream(Flow.Subscriber<? super ChatEvent> subscriber, Executor lane) {
    this.subscriber = subscriber;
    this.lane = lane;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ChatProto.ReceiveMsgRequest> call) {
    this.call = call;
    call.disableAutoRequestWithInitial(1); // just the `started` event
  }

  @Override
  public void onNext(ChatProto.Event e) {
    if (!subscribed) {
      if (e.getKindCase() != ChatProto.Event.KindCase.STARTED) {
        fail(ProtoMapping.malformed("event stream did not start with `started`"));
        return;
      }
      subscribed = true;
      lane.execute(() -> subscriber.onSubscribe(this));
      return;
    }
    if (cancelled) {
      return;
    }
    ChatEvent event;
    try {
      event = ProtoMapping.eventOrNull(e);
    } catch (ChatException bad) {
      fail(bad);
      return;
    }
    synchronized (this) {
      requested--;
      if (event != null && demand != Long.MAX_VALUE) {
        demand--;
      }
    }
    if (event != null) {
      lane.execute(() -> subscriber.onNext(event));
    }
    replenish();
  }

  @Override
  public void onError(Throwable t) {
    ensureSubscribed();
    ChatException pending = pendingError;
    if (pending != null) {
      lane.execute(() -> subscriber.onError(pending));
    } else if (!cancelled) {
      ChatException error = StatusMapping.toChatException(t);
      lane.execute(() -> subscriber.onError(error));
    }
  }

  @Override
  public void onCompleted() {
    ensureSubscribed();
    if (!cancelled) {
      lane.execute(subscriber::onComplete);
    }
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      // Reported through the call's own failure, so signals stay serialized.
      fail(ChatException.invalid("request(n) needs n > 0, was " + n));
      return;
    }
    synchronized (this) {
      demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
    }
    replenish();
  }

  @Override
  public void cancel() {
    if (!cancelled) {
      cancelled = true;
      call.cancel("subscriber cancelled", null);
    }
  }

  private void replenish() {
    int more;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      long want = Math.min(demand, CHUNK);
      more = (int) Math.max(0, want - requested);
      requested += more;
    }
    if (more > 0) {
      call.request(more);
    }
  }

  private void ensureSubscribed() {
    if (!subscribed) {
      subscribed = true;
      lane.execute(() -> subscriber.onSubscribe(this));
    }
  }

  /** Ends the call; its onError (CANCELLED) then signals {@code error} to the subscriber. */
  private void fail(ChatException error) {
    if (pendingError == null && !cancelled) {
      pendingError = error;
      cancelled = true;
      call.cancel(error.getMessage(), null);
    }
  }
}
