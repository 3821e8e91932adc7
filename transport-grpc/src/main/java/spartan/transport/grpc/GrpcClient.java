package spartan.transport.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Session;
import spartan.core.spi.CallbackLane;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * The client connector: the core API against a remote gRPC server, over one {@link
 * ManagedChannel}. Failures arrive as gRPC statuses and leave as {@link ChatException}s with the
 * server's code, message and retry delay ({@link StatusMapping}); a lost or silent server is
 * {@code UNAVAILABLE}.
 *
 * <p>Thread-safe. Blocking calls give up after {@link #CALL_TIMEOUT}. {@link #close()} cancels
 * every call in flight, event streams included.
 */
final class GrpcClient implements ChatService {
  /** How long a blocking call waits for its answer before failing with UNAVAILABLE. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The HTTP/2 receive window per stream and connection. Fixed rather than auto-tuned (BDP) so a
   * subscriber that stops reading holds at most this many unread bytes in the client before the
   * server's stream stops, whatever the link.
   */
  static final int FLOW_CONTROL_WINDOW = 1 << 20;

  private final ManagedChannel channel;
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks; // null when the options gave the executor

  /**
   * A client over {@code channel}, which it owns and shuts down on {@link #close()}, with callback
   * threads of its own (tests' in-process channels).
   */
  GrpcClient(ManagedChannel channel) {
    this(channel, ownPool());
  }

  private GrpcClient(ManagedChannel channel, ExecutorService owned) {
    this(channel, owned, owned);
  }

  GrpcClient(ManagedChannel channel, Executor callbacks, ExecutorService ownedCallbacks) {
    this.channel = channel;
    this.callbacks = callbacks;
    this.ownedCallbacks = ownedCallbacks;
  }

  private static ExecutorService ownPool() {
    return Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, "spartan-grpc-client");
          t.setDaemon(true);
          return t;
        });
  }

  /** A new lane for one stream's or one session's user-facing signals. */
  CallbackLane lane() {
    return new CallbackLane(callbacks);
  }

  /** Connects (lazily, on the first call) to the server at {@code options.host():port()}. */
  static GrpcClient connect(TransportOptions options) {
    Duration keepAlive = options.keepAlive();
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(options.host(), options.port());
    if (options.tls() instanceof Tls.Client tls) {
      builder.sslContext(GrpcTls.client(tls));
      if (tls.serverName() != null) {
        // The name the certificate must carry (grpc-java checks it against the authority).
        builder.overrideAuthority(tls.serverName() + ":" + options.port());
      }
    } else if (options.tls() != null) {
      throw new IllegalArgumentException(
          "a connector needs Tls.Client settings, not " + options.tls());
    } else {
      builder.usePlaintext();
    }
    ManagedChannel channel =
        builder
            // gRPC's callbacks run on the event loop: ours only queue work, and what reaches
            // user code (subscribers, send receipts) leaves through a CallbackLane.
            .directExecutor()
            .maxInboundMessageSize(options.maxFrameBytes())
            .flowControlWindow(FLOW_CONTROL_WINDOW)
            // grpc-java raises anything under 10 s to 10 s; the server permits that.
            .keepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .build();
    if (options.blockingExecutor() != null) {
      return new GrpcClient(channel, options.blockingExecutor(), null);
    }
    return new GrpcClient(channel);
  }

  SpartanGrpc.SpartanBlockingStub blocking() {
    return SpartanGrpc.newBlockingStub(channel)
        .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  SpartanGrpc.SpartanStub async() {
    return SpartanGrpc.newStub(channel);
  }

  /** Runs a blocking call, turning a gRPC failure into the core's. */
  static <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw StatusMapping.toChatException(e);
    }
  }

  @Override
  public AuthMode authMode() {
    return ProtoMapping.authMode(
        call(() -> blocking().getServerInfo(ChatProto.GetServerInfoRequest.getDefaultInstance()))
            .getAuthMode());
  }

  @Override
  public void createAccount(String user, String password) {
    ChatProto.CreateAccountRequest.Builder b =
        ChatProto.CreateAccountRequest.newBuilder().setUser(user == null ? "" : user);
    if (password != null) {
      b.setPassword(password);
    }
    call(() -> blocking().createAccount(b.build()));
  }

  @Override
  public Session login(String user, String password) {
    ChatProto.LoginRequest.Builder b =
        ChatProto.LoginRequest.newBuilder().setUser(user == null ? "" : user);
    if (password != null) {
      b.setPassword(password);
    }
    ChatProto.LoginResponse r = call(() -> blocking().login(b.build()));
    return new GrpcClientSession(this, r.getUser(), r.getToken());
  }

  @Override
  public Session resume(String token) {
    GrpcClientSession probe = new GrpcClientSession(this, null, token);
    return new GrpcClientSession(this, probe.whoami(), token);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown(); // signals already queued still run
    }
  }

  @Override
  public String toString() {
    return "GrpcClient[" + channel.authority() + "]";
  }
}
