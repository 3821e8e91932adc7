package spartan.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline: a bare Netty relay with the socket transport's newline framing and nothing else
 * — no JSON, no core, no store — so its figures are the near-physical limit of this machine, and
 * each transport is reported as a ratio to it.
 *
 * <p>Protocol (one line each, UTF-8): {@code @name} logs the connection in as {@code name} and
 * is answered {@code ok}, then flushes what was queued for it while offline; {@code <to>
 * <payload>} forwards {@code <from> <payload>} to {@code to}'s connection, or queues it when
 * {@code to} is offline; {@code <#group> <payload>} forwards one encoded line to every other
 * member (encoded once, shared by reference); {@code +#group a,b,c} creates a group of the
 * sender and {@code a,b,c}, answered {@code ok}; {@code ?sync} answers {@code ok} after every
 * earlier line of the connection; {@code ?stats} answers this process's {@link ServerStats} as
 * JSON. Lines are at most 64 KiB; the offline queue holds at most {@value #MAX_QUEUED} lines.
 *
 * <p>A baseline must batch I/O at least as well as what it is compared with, or it measures
 * syscalls rather than a limit: both ends consolidate flushes as the socket transport does, and
 * the lines one read batch forwards leave for each recipient in one task and one flush, as the
 * socket server drains a session's events.
 *
 * <p>Thread-safe; {@link #close} is idempotent. Never on any path but loopback benchmarks.
 */
final class RelayServer implements AutoCloseable {
  static final int MAX_LINE = 64 * 1024;
  static final int MAX_QUEUED = 2_000_000;
  /** Writes per flush at most, as the socket transport's {@code ServerPipeline.FLUSH_AFTER}. */
  static final int FLUSH_AFTER = 64;

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel listener;
  // Garbage collection for ?stats must not run on an event loop.
  private final ExecutorService statsExecutor =
      Executors.newSingleThreadExecutor(BenchThreads.daemon("relay-stats"));
  private final ConcurrentHashMap<String, Channel> online = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<String>> groups = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ArrayDeque<ByteBuf>> offline = new ConcurrentHashMap<>();
  private final AtomicInteger queued = new AtomicInteger();

  private RelayServer(String host, int port) throws InterruptedException {
    boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new FlushConsolidationHandler(FLUSH_AFTER, true),
                            new LineBasedFrameDecoder(MAX_LINE),
                            new Connection());
                  }
                });
    listener = b.bind(host, port).sync().channel();
  }

  /** Starts a relay on {@code host:port} (0 picks a free port). */
  static RelayServer start(String host, int port) {
    try {
      return new RelayServer(host, port);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the relay", e);
    }
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  @Override
  public void close() {
    listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    statsExecutor.shutdownNow();
    offline.values().forEach(q -> q.forEach(ByteBuf::release));
    offline.clear();
  }

  private static final byte[] OK = "ok\n".getBytes(StandardCharsets.US_ASCII);

  /** One connection's state; not sharable, one per channel. */
  private final class Connection extends SimpleChannelInboundHandler<ByteBuf> {
    private String user;
    private byte[] userBytes;
    /** Lines this read batch forwards, by recipient; sent on {@link #channelReadComplete}. */
    private final Map<Channel, List<ByteBuf>> outbox = new IdentityHashMap<>();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
      if (!line.isReadable()) {
        return;
      }
      byte first = line.getByte(line.readerIndex());
      switch (first) {
        case '@' -> login(ctx, line.toString(line.readerIndex() + 1, line.readableBytes() - 1,
            StandardCharsets.UTF_8));
        case '+' -> createGroup(ctx, line.toString(StandardCharsets.UTF_8).substring(1));
        case '?' -> command(ctx, line.toString(StandardCharsets.UTF_8).substring(1));
        default -> forward(ctx, line);
      }
    }

    private void login(ChannelHandlerContext ctx, String name) {
      user = name;
      userBytes = name.getBytes(StandardCharsets.UTF_8);
      online.put(name, ctx.channel());
      ctx.write(ctx.alloc().buffer(OK.length).writeBytes(OK));
      synchronized (offline) {
        ArrayDeque<ByteBuf> waiting = offline.remove(name);
        if (waiting != null) {
          queued.addAndGet(-waiting.size());
          for (ByteBuf b; (b = waiting.poll()) != null; ) {
            ctx.write(b);
          }
        }
        ctx.flush();
      }
    }

    private void createGroup(ChannelHandlerContext ctx, String spec) {
      int space = spec.indexOf(' ');
      if (user == null || space < 0) {
        ctx.writeAndFlush(ctx.alloc().buffer().writeBytes("error\n".getBytes(StandardCharsets.US_ASCII)));
        return;
      }
      List<String> members = new java.util.ArrayList<>(List.of(spec.substring(space + 1).split(",")));
      if (!members.contains(user)) {
        members.add(user);
      }
      groups.put(spec.substring(0, space), List.copyOf(members));
      ctx.writeAndFlush(ctx.alloc().buffer(OK.length).writeBytes(OK));
    }

    private void command(ChannelHandlerContext ctx, String cmd) {
      if (cmd.equals("stats")) {
        Channel ch = ctx.channel();
        statsExecutor.execute(
            () -> {
              byte[] json = (ServerStats.sampleThisProcess(true).toJsonLine() + "\n")
                  .getBytes(StandardCharsets.UTF_8);
              ch.writeAndFlush(ch.alloc().buffer(json.length).writeBytes(json));
            });
      } else {
        ctx.writeAndFlush(ctx.alloc().buffer(OK.length).writeBytes(OK));
      }
    }

    private void forward(ChannelHandlerContext ctx, ByteBuf line) {
      int space = line.indexOf(line.readerIndex(), line.writerIndex(), (byte) ' ');
      if (user == null || space < 0) {
        return; // not logged in, or no payload: a bare relay just drops it
      }
      String to = line.toString(line.readerIndex(), space - line.readerIndex(), StandardCharsets.UTF_8);
      ByteBuf payload = line.slice(space, line.writerIndex() - space); // keeps the leading space
      // Encoded once: "<from> <payload>\n".
      ByteBuf out = ctx.alloc().buffer(userBytes.length + payload.readableBytes() + 1);
      out.writeBytes(userBytes).writeBytes(payload).writeByte('\n');
      if (to.startsWith("#")) {
        List<String> members = groups.get(to);
        if (members != null) {
          for (String m : members) {
            if (!m.equals(user)) {
              deliver(m, out.retainedDuplicate());
            }
          }
        }
        out.release();
      } else {
        deliver(to, out);
      }
    }

    private void deliver(String to, ByteBuf out) {
      Channel ch = online.get(to);
      if (ch != null && ch.isActive()) {
        outbox.computeIfAbsent(ch, c -> new ArrayList<>()).add(out);
        return;
      }
      // The offline path is rare and not what the baseline measures, so one lock keeps it simple:
      // a login drains under it, so nothing queued slips past the drain.
      synchronized (offline) {
        ch = online.get(to);
        if (ch != null && ch.isActive()) {
          ch.writeAndFlush(out, ch.voidPromise());
        } else if (queued.incrementAndGet() > MAX_QUEUED) {
          queued.decrementAndGet();
          out.release();
        } else {
          offline.computeIfAbsent(to, k -> new ArrayDeque<>()).add(out);
        }
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      for (Map.Entry<Channel, List<ByteBuf>> e : outbox.entrySet()) {
        Channel ch = e.getKey();
        List<ByteBuf> lines = e.getValue();
        if (ch.eventLoop().inEventLoop()) {
          writeAll(ch, lines);
        } else {
          ch.eventLoop().execute(() -> writeAll(ch, lines));
        }
      }
      outbox.clear();
      ctx.fireChannelReadComplete();
    }

    private static void writeAll(Channel ch, List<ByteBuf> lines) {
      for (ByteBuf b : lines) {
        ch.write(b, ch.voidPromise());
      }
      ch.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      outbox.values().forEach(lines -> lines.forEach(ByteBuf::release));
      outbox.clear();
      if (user != null) {
        online.remove(user, ctx.channel());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
