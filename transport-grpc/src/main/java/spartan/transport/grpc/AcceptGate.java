package spartan.transport.grpc;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFactory;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.spi.ConnectionGate;

/**
 * The server's {@link ConnectionGate} applied to the gRPC listener at accept time.
 *
 * <p>grpc-java's public builder has no accept hook (its {@code ServerTransportFilter} runs after
 * the HTTP/2 handshake, and cannot refuse). It does take the factory of the listening channel,
 * so {@link #listener()} makes a stock Netty server channel whose <em>own</em> pipeline starts
 * with this handler. Netty hands every accepted connection down that pipeline as a child {@link
 * Channel} ({@code channelRead}) before {@code ServerBootstrap}'s acceptor registers it with an
 * event loop and gRPC installs its HTTP/2 handler; this handler is added in the channel's
 * constructor, so it sits ahead of the acceptor. A refused child is closed right there — no
 * registration, no handler, no TLS or HTTP/2 work — and an admitted one releases its place in
 * the gate when it closes.
 *
 * <p>Replacing the channel factory obliges the builder's caller to bring its own event loops
 * (grpc-java insists on all three or none): {@link #eventLoops} makes them of the same flavour as
 * the channel, epoll where the shaded native transport loads and NIO elsewhere, as grpc-java's
 * defaults do. Refusals are logged by {@link RefusalLog}, at most one line per interval.
 */
@ChannelHandler.Sharable
final class AcceptGate extends ChannelInboundHandlerAdapter {
  private static final boolean EPOLL = Epoll.isAvailable();

  private final ConnectionGate gate;
  private final RefusalLog refusals;

  AcceptGate(ConnectionGate gate) {
    this(gate, System::nanoTime);
  }

  AcceptGate(ConnectionGate gate, LongSupplier nanoClock) {
    this.gate = gate;
    this.refusals = new RefusalLog(gate, nanoClock);
  }

  /** The factory of the listening channel: a stock one with this gate first in its pipeline. */
  ChannelFactory<? extends ServerChannel> listener() {
    return listener(EPOLL);
  }

  /** {@link #listener()} of the given flavour (tests run both). */
  ChannelFactory<? extends ServerChannel> listener(boolean epoll) {
    if (epoll) {
      return () -> {
        EpollServerSocketChannel ch = new EpollServerSocketChannel();
        ch.pipeline().addLast(this);
        return ch;
      };
    }
    return () -> {
      NioServerSocketChannel ch = new NioServerSocketChannel();
      ch.pipeline().addLast(this);
      return ch;
    };
  }

  /** A new event-loop group of the listener's flavour; the caller shuts it down. */
  static EventLoopGroup eventLoops(int threads, String name) {
    return eventLoops(threads, name, EPOLL);
  }

  /** {@link #eventLoops(int, String)} of the given flavour. */
  static EventLoopGroup eventLoops(int threads, String name, boolean epoll) {
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Channel child)) {
      ctx.fireChannelRead(msg);
      return;
    }
    InetAddress address = addressOf(child.remoteAddress());
    if (address == null) {
      ctx.fireChannelRead(msg); // not an IP connection: nothing to count it against
      return;
    }
    ConnectionGate.Verdict verdict = gate.tryAcquire(address);
    if (verdict != ConnectionGate.Verdict.ADMITTED) {
      // Never registered, so a plain close of the socket is all there is to undo.
      child.unsafe().closeForcibly();
      refusals.refused(address, verdict);
      return;
    }
    child.closeFuture().addListener(f -> gate.release(address));
    ctx.fireChannelRead(child);
  }

  private static InetAddress addressOf(SocketAddress a) {
    return a instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  /**
   * Logs refused connections without letting a flood of them flood the log: the first refusal
   * at once, then at most one line per {@link #INTERVAL_NANOS} with the counts since the last
   * line. (A burst that ends inside an interval is summed into the next line, or shows in the
   * gate's running totals.) Thread-safe.
   */
  static final class RefusalLog {
    private static final Logger log = LoggerFactory.getLogger(AcceptGate.class);
    static final long INTERVAL_NANOS = 10_000_000_000L;

    private final ConnectionGate gate;
    private final LongSupplier nanoClock;
    private boolean logged;
    private long lastLine;
    private long serverFull;
    private long addressFull;

    RefusalLog(ConnectionGate gate, LongSupplier nanoClock) {
      this.gate = gate;
      this.nanoClock = nanoClock;
    }

    synchronized void refused(InetAddress address, ConnectionGate.Verdict verdict) {
      if (verdict == ConnectionGate.Verdict.SERVER_FULL) {
        serverFull++;
      } else {
        addressFull++;
      }
      long now = nanoClock.getAsLong();
      if (logged && now - lastLine < INTERVAL_NANOS) {
        return;
      }
      log.warn(
          "gRPC refused {} connection(s) since the last report: {} with the server full"
              + " (limits.maxConnections = {}), {} over the per-address cap"
              + " (limits.maxConnectionsPerAddress = {}); latest from {}",
          serverFull + addressFull,
          serverFull,
          gate.maxTotal(),
          addressFull,
          gate.maxPerAddress(),
          address.getHostAddress());
      logged = true;
      lastLine = now;
      serverFull = 0;
      addressFull = 0;
    }
  }
}
