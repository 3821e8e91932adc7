package spartan.transport.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.proto.v1.ChatProto;

/**
 * The server side of one {@code SendStream} call: pipelined sends of one session, stored in the
 * order they arrive and answered one {@code SendResult} each, a failure as an error result that
 * leaves the stream open.
 *
 * <p>Order: gRPC delivers a call's messages one at a time on its serializing executor (the
 * transport's blocking executor), and {@link #onNext} calls {@link Session#sendAsync} right
 * there, so the core sees the sends in stream order whatever thread completes them.
 *
 * <p>Bounds: the call reads with manual flow control. At most {@link #WINDOW} requests are
 * requested-or-unanswered at once: one more is requested per result written, and only while
 * the call is ready, so a client that sends without reading its results stops being read (its
 * requests wait in HTTP/2 flow control) instead of filling the server with results.
 *
 * <p>Thread-safe: the stream callbacks are serialised by gRPC, completions come from any thread,
 * and every write to the call happens under this object's lock.
 */
final class SendStreamCall implements StreamObserver<ChatProto.SendStreamRequest> {
  /** Sends one stream may have read and not yet answered. */
  static final int WINDOW = 256;

  private final Session session;
  private final ServerCallStreamObserver<ChatProto.SendResult> call;
  private final Runnable onDone;
  // All guarded by this.
  private int unanswered;
  private int owed; // requests held back while the call was not ready
  private boolean halfClosed;
  private boolean draining; // server shutting down: read no more, fail once answered
  private boolean done;

  private SendStreamCall(
      Session session, ServerCallStreamObserver<ChatProto.SendResult> call, Runnable onDone) {
    this.session = session;
    this.call = call;
    this.onDone = onDone;
  }

  /**
   * Starts serving {@code call} for {@code session}. Must run inside the RPC method, before it
   * returns, because gRPC takes the flow-control and cancel settings only then.
   */
  static SendStreamCall start(
      Session session, ServerCallStreamObserver<ChatProto.SendResult> call, Runnable onDone) {
    SendStreamCall c = new SendStreamCall(session, call, onDone);
    call.disableAutoRequest();
    call.setOnCancelHandler(c::onCancel);
    call.setOnReadyHandler(c::onReady);
    call.request(WINDOW);
    return c;
  }

  /** The core send a SendMessage request stands for; fails the future rather than throwing. */
  static CompletableFuture<SendReceipt> send(Session session, ChatProto.SendMessageRequest r) {
    try {
      return session.sendAsync(
          r.hasTo() ? ProtoMapping.recipientOrNull(r.getTo()) : null,
          r.hasBody() ? ProtoMapping.bodyOrNull(r.getBody()) : null,
          r.hasClientMsgId() ? r.getClientMsgId() : null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void onNext(ChatProto.SendStreamRequest request) {
    synchronized (this) {
      if (done) {
        return;
      }
      unanswered++;
    }
    long seq = request.getSeq();
    send(session, request.getSend())
        .whenComplete((receipt, failure) -> answer(seq, receipt, failure));
  }

  private void answer(long seq, SendReceipt receipt, Throwable failure) {
    ChatProto.SendResult.Builder result = ChatProto.SendResult.newBuilder().setSeq(seq);
    if (failure != null) {
      result.setError(StatusMapping.toSendError(failure));
    } else {
      result.setReceipt(ProtoMapping.receipt(receipt));
    }
    boolean finished = false;
    synchronized (this) {
      unanswered--;
      if (done) {
        return;
      }
      call.onNext(result.build());
      if ((halfClosed || draining) && unanswered == 0) {
        finished = finish();
      } else if (!draining) {
        if (call.isReady()) {
          call.request(1);
        } else {
          owed++;
        }
      }
    }
    if (finished) {
      onDone.run();
    }
  }

  private void onReady() {
    synchronized (this) {
      if (owed > 0 && !done && !draining) {
        call.request(owed);
        owed = 0;
      }
    }
  }

  /** The client half-closed: complete once every send read has been answered. */
  @Override
  public void onCompleted() {
    boolean finished = false;
    synchronized (this) {
      halfClosed = true;
      if (unanswered == 0 && !done) {
        finished = finish();
      }
    }
    if (finished) {
      onDone.run();
    }
  }

  /** The client cancelled; sends already handed to the core still complete there. */
  @Override
  public void onError(Throwable t) {
    onCancel();
  }

  private void onCancel() {
    boolean first;
    synchronized (this) {
      first = !done;
      done = true;
    }
    if (first) {
      onDone.run();
    }
  }

  /**
   * For a server shutdown: read nothing more, answer the sends already read, then end the
   * stream with {@code UNAVAILABLE}.
   */
  void shutdown() {
    boolean finished = false;
    synchronized (this) {
      draining = true;
      if (unanswered == 0 && !done) {
        finished = finish();
      }
    }
    if (finished) {
      onDone.run();
    }
  }

  /** Ends the call; the caller holds the lock and runs {@link #onDone} once outside it. */
  private boolean finish() {
    done = true;
    if (halfClosed) {
      call.onCompleted();
    } else {
      call.onError(
          Status.UNAVAILABLE.withDescription("The server is shutting down.").asRuntimeException());
    }
    return true;
  }
}
