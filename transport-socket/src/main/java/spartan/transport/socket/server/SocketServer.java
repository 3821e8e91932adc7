package spartan.transport.socket.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatService;
import spartan.core.spi.ConnectionGate;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportServer;
import spartan.transport.socket.wire.SocketTls;

/**
 * The socket transport's server: a Netty server bootstrap whose connections speak NDJSON to a
 * {@link ChatService}. Thread-safe; {@link #close()} is graceful and idempotent.
 */
public final class SocketServer implements TransportServer {
  private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

  /** Above this much unwritten output a connection counts as not writable (and stops pushing). */
  static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel serverChannel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ServerSettings settings;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SocketServer(
      TransportOptions options, ServerSettings settings, ChannelInitializer<SocketChannel> init)
      throws IOException {
    this.settings = settings;
    this.boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.workers = new MultiThreadIoEventLoopGroup(settings.ioThreads(), NioIoHandler.newFactory());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 256)
            .handler(new Admission(options.connections()))
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    ch.pipeline().addLast(init);
                  }
                });
    try {
      serverChannel =
          b.bind(new InetSocketAddress(options.host(), options.port()))
              .syncUninterruptibly()
              .channel();
    } catch (Exception e) {
      shutdownGroups();
      throw new IOException(
          "cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
    }
    log.info("socket transport listening on {}", serverChannel.localAddress());
  }

  /** Serves {@code service} as configured by {@code options}. */
  public static SocketServer start(ChatService service, TransportOptions options) throws IOException {
    ServerSettings settings = ServerSettings.from(options);
    if (options.blockingExecutor() == null) {
      throw new IllegalArgumentException("blockingExecutor is required by the socket server");
    }
    SslContext tls = null;
    if (options.tls() instanceof Tls.Server server) {
      tls = SocketTls.server(server);
    } else if (options.tls() != null) {
      throw new IllegalArgumentException(
          "a server needs Tls.Server settings, not " + options.tls());
    }
    SocketServer s =
        start(
            options,
            settings,
            new ServerPipeline(service, options.blockingExecutor(), settings, tls));
    if (tls != null) {
      log.info("socket transport on {} speaks TLS only", s.serverChannel.localAddress());
    }
    return s;
  }

  /** For tests that wrap the pipeline (e.g. to count bytes read). */
  static SocketServer start(
      TransportOptions options, ServerSettings settings, ChannelInitializer<SocketChannel> init)
      throws IOException {
    return new SocketServer(options, settings, init);
  }

  @Override
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  @Override
  public int openConnections() {
    return connections.size();
  }

  @Override
  public long directMemoryUsed() {
    return io.netty.util.internal.PlatformDependent.usedDirectMemory();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    serverChannel.close().syncUninterruptibly();
    for (Channel ch : connections) {
      SocketServerHandler h = ch.pipeline().get(SocketServerHandler.class);
      if (h == null) {
        ch.close();
      } else {
        ch.eventLoop().execute(h::drainAndClose);
      }
    }
    long grace = settings.shutdownGrace().toMillis();
    if (!connections.newCloseFuture().awaitUninterruptibly(grace)) {
      log.info("closing {} connections with requests still in progress", connections.size());
    }
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    shutdownGroups();
    log.info("socket transport stopped");
  }

  /**
   * Admits or refuses each accepted connection on the server channel's own pipeline, before the
   * connection is registered with a worker loop or has any handler: a refused one costs an accept
   * and a close. An admitted one is released from the gate when it closes (its close future
   * completes once). Refusals are logged at most once per {@link #LOG_EVERY_NANOS}, with a count,
   * so a connection flood cannot flood the log too. Runs on the one accepting thread.
   */
  private static final class Admission extends ChannelInboundHandlerAdapter {
    static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ConnectionGate gate;
    private long refusedSinceLog;
    private long lastLog = System.nanoTime() - LOG_EVERY_NANOS;

    Admission(ConnectionGate gate) {
      this.gate = gate;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      InetAddress address = ServerPipeline.peerAddress(child);
      ConnectionGate.Verdict verdict = gate.tryAcquire(address);
      if (verdict == ConnectionGate.Verdict.ADMITTED) {
        child.closeFuture().addListener(f -> gate.release(address));
        ctx.fireChannelRead(child);
        return;
      }
      child.unsafe().closeForcibly();
      refusedSinceLog++;
      long now = System.nanoTime();
      if (now - lastLog >= LOG_EVERY_NANOS) {
        log.warn(
            "refused {} connection(s) in the last {} s (latest from {}: {}); limits.maxConnections"
                + " {}, limits.maxConnectionsPerAddress {}; refused so far: {} server full, {}"
                + " address full",
            refusedSinceLog,
            TimeUnit.NANOSECONDS.toSeconds(now - lastLog),
            address.getHostAddress(),
            verdict == ConnectionGate.Verdict.SERVER_FULL ? "server full" : "address full",
            gate.maxTotal(),
            gate.maxPerAddress(),
            gate.refusedServerFull(),
            gate.refusedAddressFull());
        refusedSinceLog = 0;
        lastLog = now;
      }
    }
  }

  private void shutdownGroups() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    boss.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
