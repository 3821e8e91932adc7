package spartan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/** The load generator's side of the {@link RelayServer} baseline: one Netty connection per peer. */
final class RelayTarget implements Target {
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String host;
  private final int port;
  private final RelayServer inProcess; // null when the relay runs elsewhere
  /** One thread per core, as the socket transport's connectors share. */
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(
          Runtime.getRuntime().availableProcessors(), NioIoHandler.newFactory());
  private final ConcurrentLinkedQueue<RelayPeer> peers = new ConcurrentLinkedQueue<>();

  /** A target for a relay at {@code host:port}; {@code inProcess} (nullable) is closed with it. */
  RelayTarget(String host, int port, RelayServer inProcess) {
    this.host = host;
    this.port = port;
    this.inProcess = inProcess;
  }

  @Override
  public String name() {
    return "netty";
  }

  @Override
  public void createUsers(List<String> users) {
    // The relay has no accounts: a name exists while a connection holds it.
  }

  @Override
  public Peer login(String user, MessageHandler handler) {
    RelayPeer p = connect(user, handler);
    p.call("@" + user);
    peers.add(p);
    return p;
  }

  private RelayPeer connect(String user, MessageHandler handler) {
    RelayPeer p = new RelayPeer(user, handler);
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            // Sends from many threads leave in one write(2), as the connectors'.
                            new FlushConsolidationHandler(RelayServer.FLUSH_AFTER, true),
                            new LineBasedFrameDecoder(RelayServer.MAX_LINE),
                            p);
                  }
                });
    p.channel = b.connect(host, port).syncUninterruptibly().channel();
    return p;
  }

  @Override
  public ServerStats stats(boolean gc) {
    if (inProcess != null) {
      return ServerStats.sampleThisProcess(gc);
    }
    RelayPeer p = null;
    try {
      p = connect("stats", (from, text, at) -> {});
      JsonNode n = JSON.readTree(p.call("?stats"));
      return new ServerStats(
          n.get("heapUsedBytes").asLong(), n.get("rssBytes").asLong(), n.get("cpuNanos").asLong());
    } catch (Exception e) {
      return null;
    } finally {
      if (p != null) {
        p.close();
      }
    }
  }

  @Override
  public boolean statsIncludeGenerator() {
    return inProcess != null;
  }

  /** Waits until the relay has handled every line {@code p} sent before this call. */
  static void sync(Peer p) {
    ((RelayPeer) p).call("?sync");
  }

  @Override
  public void close() {
    for (RelayPeer p; (p = peers.poll()) != null; ) {
      p.close();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (inProcess != null) {
      inProcess.close();
    }
  }

  /**
   * One connection. A line without a space is a reply to the oldest outstanding command; any
   * other line is a message {@code <from> <payload>}.
   */
  private static final class RelayPeer extends SimpleChannelInboundHandler<ByteBuf> implements Peer {
    private final String user;
    private final MessageHandler handler;
    private final ConcurrentLinkedQueue<CompletableFuture<String>> replies =
        new ConcurrentLinkedQueue<>();
    volatile Channel channel;

    RelayPeer(String user, MessageHandler handler) {
      this.user = user;
      this.handler = handler;
    }

    @Override
    public String user() {
      return user;
    }

    String call(String line) {
      CompletableFuture<String> reply = new CompletableFuture<>();
      replies.add(reply);
      write(line);
      try {
        return reply.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("relay did not answer '" + line + "': " + e, e);
      }
    }

    private io.netty.channel.ChannelFuture write(String line) {
      byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
      return channel.writeAndFlush(channel.alloc().buffer(bytes.length).writeBytes(bytes));
    }

    @Override
    public CompletableFuture<?> send(String to, String text) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      write(to + " " + text)
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  done.complete(null);
                } else {
                  done.completeExceptionally(f.cause());
                }
              });
      return done;
    }

    @Override
    public void createGroup(String group, List<String> members) {
      call("+#" + group + " " + String.join(",", members));
    }

    @Override
    public void joinGroup(String group) {
      // The relay has no invitations: createGroup made everyone a member.
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
      long now = System.nanoTime();
      int space = line.indexOf(line.readerIndex(), line.writerIndex(), (byte) ' ');
      if (space < 0) {
        CompletableFuture<String> r = replies.poll();
        if (r != null) {
          r.complete(line.toString(StandardCharsets.UTF_8));
        }
        return;
      }
      String from = line.toString(line.readerIndex(), space - line.readerIndex(), StandardCharsets.UTF_8);
      String text = line.toString(space + 1, line.writerIndex() - space - 1, StandardCharsets.UTF_8);
      handler.onMessage(from, text, now);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (CompletableFuture<String> r; (r = replies.poll()) != null; ) {
        r.completeExceptionally(new IllegalStateException("relay connection closed"));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    @Override
    public void close() {
      Channel ch = channel;
      if (ch != null) {
        ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
      }
    }
  }
}
