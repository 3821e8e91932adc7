package spartan.transport.grpc;

import io.grpc.Attributes;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatService;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportServer;
import spartan.proto.v1.SpartanGrpc;

/**
 * A running gRPC server: the {@code spartan.v1.Spartan} service behind the bearer-token
 * interceptor, plus server reflection and the standard health service, so stock tools
 * (grpcurl, grpc_health_probe) work against it. Calls into the core run on the executor given,
 * never on Netty's event loops.
 *
 * <p>Connections are admitted or refused at accept time by the server's {@link
 * spartan.core.spi.ConnectionGate} ({@link AcceptGate}), before any HTTP/2 work.
 *
 * <p>Thread-safe. {@link #close()} is graceful and idempotent: it marks the service NOT_SERVING,
 * stops accepting calls, ends open event streams with {@code UNAVAILABLE}, waits up to {@link
 * #GRACE} for calls in flight, then cuts the rest.
 */
final class GrpcServer implements TransportServer {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  static final String SERVICE_NAME = SpartanGrpc.SERVICE_NAME;
  static final Duration GRACE = Duration.ofSeconds(5);
  /** grpc-java clients never ping more often than every 10 s, so that much is always allowed. */
  static final Duration CLIENT_PING_FLOOR = Duration.ofSeconds(10);
  /**
   * Concurrent calls one connection may hold. A chat client needs a handful per session (the
   * event stream, a send stream, a call or two); past this, HTTP/2 makes the client wait. Each
   * call's server-side memory is bounded on its own (see {@link SpartanEndpoint}), so this caps
   * what one connection can pin.
   */
  static final int MAX_CALLS_PER_CONNECTION = 32;

  private final Server server;
  private final SpartanEndpoint endpoint;
  private final HealthStatusManager health;
  private final ConnectionCounter connections;
  private final List<EventLoopGroup> eventLoops;
  private volatile boolean closed;

  private GrpcServer(
      Server server,
      SpartanEndpoint endpoint,
      HealthStatusManager health,
      ConnectionCounter connections,
      List<EventLoopGroup> eventLoops) {
    this.server = server;
    this.endpoint = endpoint;
    this.health = health;
    this.connections = connections;
    this.eventLoops = eventLoops;
  }

  /** Starts a Netty server on {@code options.host():port()} (port 0 picks a free one). */
  static GrpcServer start(ChatService service, TransportOptions options) throws IOException {
    Executor executor =
        Objects.requireNonNull(options.blockingExecutor(), "options.blockingExecutor");
    long keepAliveMs = options.keepAlive().toMillis();
    EventLoopGroup boss = AcceptGate.eventLoops(1, "spartan-grpc-accept");
    EventLoopGroup workers = AcceptGate.eventLoops(0, "spartan-grpc-io");
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(options.host(), options.port()))
            .channelFactory(new AcceptGate(options.connections()).listener())
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            .executor(executor)
            .maxInboundMessageSize(options.maxFrameBytes())
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
            // A connection with no call in flight for this long gets a GOAWAY: one that never
            // logs in does not hold a socket, and a client's channel reconnects on its next call.
            .maxConnectionIdle(
                Math.max(1000, options.loginTimeout().toMillis()), TimeUnit.MILLISECONDS)
            // The ping interval: grpc-java raises anything under 10 s to 10 s.
            .keepAliveTime(keepAliveMs, TimeUnit.MILLISECONDS)
            // How long an unanswered ping may wait before the connection is declared dead.
            .keepAliveTimeout(keepAliveMs, TimeUnit.MILLISECONDS)
            .permitKeepAliveTime(
                Math.min(keepAliveMs, CLIENT_PING_FLOOR.toMillis()), TimeUnit.MILLISECONDS);
    if (options.tls() instanceof Tls.Server tls) {
      builder.sslContext(GrpcTls.server(tls));
    } else if (options.tls() != null) {
      throw new IllegalArgumentException(
          "a server needs Tls.Server settings, not " + options.tls());
    }
    GrpcServer s;
    try {
      s = start(builder, service, options.maxFrameBytes(), List.of(boss, workers));
    } catch (IOException | RuntimeException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
    if (options.tls() != null) {
      log.info("gRPC transport on port {} speaks TLS only", s.port());
    }
    return s;
  }

  /** Starts an in-process server called {@code name}, for tests. */
  static GrpcServer inProcess(
      ChatService service, String name, Executor executor, int maxFrameBytes) throws IOException {
    return start(
        InProcessServerBuilder.forName(name).executor(executor).maxInboundMessageSize(maxFrameBytes),
        service,
        maxFrameBytes,
        List.of());
  }

  private static GrpcServer start(
      ServerBuilder<?> builder,
      ChatService service,
      int maxFrameBytes,
      List<EventLoopGroup> eventLoops)
      throws IOException {
    SpartanEndpoint endpoint = new SpartanEndpoint(service, maxFrameBytes);
    HealthStatusManager health = new HealthStatusManager();
    ConnectionCounter connections = new ConnectionCounter();
    Server server =
        builder
            .addTransportFilter(connections)
            .addService(
                ServerInterceptors.intercept(
                    endpoint.encodedDefinition(),
                    BearerAuth.interceptor(),
                    PeerAddress.interceptor(),
                    // Last, so outermost: it sees each parsed request first.
                    MalformedRequests.interceptor()))
            .addService(ProtoReflectionServiceV1.newInstance())
            .addService(health.getHealthService())
            .build()
            .start();
    health.setStatus(SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    return new GrpcServer(server, endpoint, health, connections, eventLoops);
  }

  /** Counts connections that completed their handshake and have not terminated yet. */
  private static final class ConnectionCounter extends ServerTransportFilter {
    private static final Attributes.Key<Boolean> COUNTED = Attributes.Key.create("spartan.counted");
    final AtomicInteger open = new AtomicInteger();

    @Override
    public Attributes transportReady(Attributes attributes) {
      open.incrementAndGet();
      return attributes.toBuilder().set(COUNTED, Boolean.TRUE).build();
    }

    @Override
    public void transportTerminated(Attributes attributes) {
      // A connection that failed before it was ready (a bad handshake) was never counted.
      if (Boolean.TRUE.equals(attributes.get(COUNTED))) {
        open.decrementAndGet();
      }
    }
  }

  @Override
  public int openConnections() {
    return connections.open.get();
  }

  @Override
  public long directMemoryUsed() {
    return io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory();
  }

  @Override
  public void serving(boolean ready) {
    ServingStatus status = ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    synchronized (this) {
      if (closed) {
        return; // the health service is in its terminal NOT_SERVING state
      }
      health.setStatus(SERVICE_NAME, status);
      health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    }
  }

  @Override
  public int port() {
    try {
      return server.getPort();
    } catch (IllegalStateException e) {
      return -1; // in-process: no port
    }
  }

  SpartanEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    health.enterTerminalState();
    server.shutdown();
    endpoint.closeStreams();
    try {
      if (!server.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("calls still running after {} s; cutting them", GRACE.toSeconds());
        server.shutdownNow();
        server.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    // Ours (the gate's listener needs its own loops), so ours to stop once the server is down.
    for (EventLoopGroup g : eventLoops) {
      g.shutdownGracefully(0, GRACE.toMillis(), TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(GRACE.toMillis());
    }
  }

  @Override
  public String toString() {
    return "GrpcServer" + server.getListenSockets();
  }
}
