package spartan.transport.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Session;
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
final class GrpcChatClient implements ChatService {
  /** How long a blocking call waits for its answer before failing with UNAVAILABLE. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The HTTP/2 receive window per stream and connection. Fixed rather than auto-tuned (BDP) so a
   * subscriber that stops reading holds at most this many unread bytes in the client before the
   * server's stream stops, whatever the link.
   */
  static final int FLOW_CONTROL_WINDOW = 1 << 20;

  private final ManagedChannel channel;

  /** A connector over {@code channel}, which it owns and shuts down on {@link #close()}. */
  GrpcChatClient(ManagedChannel channel) {
    this.channel = channel;
  }

  /** Connects (lazily, on the first call) to the server at {@code options.host():port()}. */
  static GrpcChatClient connect(TransportOptions options) {
    Duration keepAlive = options.keepAlive();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(options.host(), options.port())
            .usePlaintext()
            .maxInboundMessageSize(options.maxFrameBytes())
            .flowControlWindow(FLOW_CONTROL_WINDOW)
            // grpc-java raises anything under 10 s to 10 s; the server permits that.
            .keepAliveTime(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .build();
    return new GrpcChatClient(channel);
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
    return new RemoteSession(this, r.getUser(), r.getToken());
  }

  @Override
  public Session resume(String token) {
    RemoteSession probe = new RemoteSession(this, null, token);
    return new RemoteSession(this, probe.whoami(), token);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "GrpcChatClient[" + channel.authority() + "]";
  }
}
