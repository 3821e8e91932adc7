package spartan.transport.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import spartan.core.ChatException;
import spartan.core.SendReceipt;
import spartan.core.spi.CallbackLane;
import spartan.core.spi.TransportOptions;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * The client side of the {@code SendStream} RPC for one session: every send is written to one
 * long-lived stream as it is made, and its future completes from the result with the same
 * {@code seq}. The server stores a stream's sends in stream order, and sends are written in the
 * order {@link #send} is called, so a session keeps the core's ordering with many sends in
 * flight instead of one per round trip.
 *
 * <p>The stream opens on the first send. When it fails (connection lost, session ended, a frame
 * over the server's limit) every unanswered send fails with that status mapped by {@link
 * StatusMapping}, and the next send opens a new stream.
 *
 * <p>Bounds: the server reads a bounded window ({@link SendStreamCall#WINDOW}) and HTTP/2 flow
 * control holds the next requests here. Past {@link #MAX_PENDING} unanswered sends or {@link
 * #MAX_PENDING_BYTES} of them, a send fails at once with {@code UNAVAILABLE} rather than block:
 * {@code sendAsync} may be called from an event loop or a UI thread, and {@code UNAVAILABLE} is
 * already the code callers retry later.
 *
 * <p>Thread-safe: writes and stream changes happen under one lock; results complete futures on
 * the session's receipt lane (a {@link CallbackLane}), outside it and off the event loop.
 */
final class PipelinedSends {
  /** Unanswered sends one session may have ({@link TransportOptions#MAX_PENDING_REQUESTS}). */
  static final int MAX_PENDING = TransportOptions.MAX_PENDING_REQUESTS;
  /** Serialized bytes of unanswered sends one session may have. */
  static final long MAX_PENDING_BYTES = TransportOptions.MAX_PENDING_REQUEST_BYTES;

  /** {@code SendStream} with each request serialised into one array ({@link ProtoArrays}). */
  private static final MethodDescriptor<ChatProto.SendStreamRequest, ChatProto.SendResult> METHOD =
      SpartanGrpc.getSendStreamMethod()
          .toBuilder(
              ProtoArrays.marshaller(ChatProto.SendStreamRequest.getDefaultInstance()),
              SpartanGrpc.getSendStreamMethod().getResponseMarshaller())
          .build();

  private final Supplier<SpartanGrpc.SpartanStub> stub;
  private final Duration answerTimeout;
  /** Where results complete futures (their continuations are user code): off the event loop. */
  private final Executor receipts;
  private final Object lock = new Object();
  private Stream current; // lock

  /**
   * {@code stub} gives the stub, with the session's credentials, to open each stream with. A send
   * not answered within {@code answerTimeout} cancels its stream: the stream is stuck, so every
   * send on it fails with {@code UNAVAILABLE}, as a unary call past its deadline would.
   */
  PipelinedSends(
      Supplier<SpartanGrpc.SpartanStub> stub, Duration answerTimeout, Executor receipts) {
    this.stub = stub;
    this.answerTimeout = answerTimeout;
    this.receipts = receipts;
  }

  /** Writes a send to the stream; the future completes with its receipt or its failure. */
  CompletableFuture<SendReceipt> send(ChatProto.SendMessageRequest request) {
    CompletableFuture<SendReceipt> result = new CompletableFuture<>();
    int bytes = request.getSerializedSize();
    try {
      synchronized (lock) {
        if (current == null || current.ended) {
          Stream opened = new Stream();
          SpartanGrpc.SpartanStub s = stub.get();
          ClientCalls.asyncBidiStreamingCall(
              s.getChannel().newCall(METHOD, s.getCallOptions()), opened);
          current = opened;
        }
        current.write(request, bytes, result);
      }
    } catch (RuntimeException e) {
      result.completeExceptionally(StatusMapping.toChatException(e));
    }
    return result;
  }

  /**
   * Half-closes the current stream, if any: the sends already written are still answered, and
   * the next send opens a new stream. Idempotent.
   */
  void close() {
    synchronized (lock) {
      if (current != null) {
        current.halfClose();
        current = null;
      }
    }
  }

  private record Pending(CompletableFuture<SendReceipt> future, int bytes) {}

  /** One SendStream call. Its fields other than {@code pending} are guarded by the outer lock. */
  private final class Stream
      implements ClientResponseObserver<ChatProto.SendStreamRequest, ChatProto.SendResult> {
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private ClientCallStreamObserver<ChatProto.SendStreamRequest> requests;
    private long nextSeq;
    private long pendingBytes;
    private boolean ended;
    private boolean halfClosed;

    @Override
    public void beforeStart(ClientCallStreamObserver<ChatProto.SendStreamRequest> requests) {
      this.requests = requests;
    }

    void write(ChatProto.SendMessageRequest request, int bytes, CompletableFuture<SendReceipt> f) {
      if (pending.size() >= MAX_PENDING || pendingBytes + bytes > MAX_PENDING_BYTES) {
        f.completeExceptionally(
            ChatException.unavailable("Too many messages waiting to be sent; try again shortly."));
        return;
      }
      long seq = nextSeq++;
      pending.put(seq, new Pending(f, bytes));
      pendingBytes += bytes;
      // One timer per send, on the JDK's shared delay scheduler, removed when the send completes:
      // the same cost as the per-call deadline a unary SendMessage carried.
      CompletableFuture<Void> deadline =
          new CompletableFuture<Void>().orTimeout(answerTimeout.toMillis(), TimeUnit.MILLISECONDS);
      deadline.whenComplete(
          (ignored, t) -> {
            if (t instanceof TimeoutException) {
              cancel("The server did not answer a send in time.");
            }
          });
      f.whenComplete((ignored, t) -> deadline.complete(null));
      try {
        requests.onNext(
            ChatProto.SendStreamRequest.newBuilder().setSeq(seq).setSend(request).build());
      } catch (RuntimeException e) {
        // The call was torn down under us; its onError fails the rest.
        if (pending.remove(seq) != null) {
          pendingBytes -= bytes;
          f.completeExceptionally(StatusMapping.toChatException(e));
        }
      }
    }

    private void cancel(String why) {
      synchronized (lock) {
        if (!ended) {
          requests.cancel(why, null); // onError then fails every unanswered send
        }
      }
    }

    void halfClose() {
      if (!halfClosed && !ended) {
        halfClosed = true;
        requests.onCompleted();
      }
    }

    @Override
    public void onNext(ChatProto.SendResult result) {
      Pending p = pending.remove(result.getSeq());
      if (p == null) {
        return; // not ours (a confused server): nothing waits for it
      }
      synchronized (lock) {
        pendingBytes -= p.bytes();
      }
      switch (result.getOutcomeCase()) {
        case RECEIPT -> {
          SendReceipt receipt = ProtoMapping.receipt(result.getReceipt());
          receipts.execute(() -> p.future().complete(receipt));
        }
        case ERROR -> {
          ChatException error = StatusMapping.toChatException(result.getError());
          receipts.execute(() -> p.future().completeExceptionally(error));
        }
        default -> {
          ChatException error = ProtoMapping.malformed("send result without outcome");
          receipts.execute(() -> p.future().completeExceptionally(error));
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      end(StatusMapping.toChatException(t));
    }

    @Override
    public void onCompleted() {
      end(ChatException.unavailable("The server ended the send stream before answering."));
    }

    private void end(ChatException failure) {
      List<Pending> unanswered;
      synchronized (lock) {
        ended = true;
        if (current == this) {
          current = null;
        }
        unanswered = new ArrayList<>(pending.values());
        pending.clear();
        pendingBytes = 0;
      }
      receipts.execute(
          () -> {
            for (Pending p : unanswered) {
              p.future().completeExceptionally(failure);
            }
          });
    }
  }
}
