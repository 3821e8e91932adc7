package spartan.transport.socket.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.spi.TransportOptions;
import spartan.core.tls.TlsFailures;
import spartan.transport.socket.wire.ClientLines;
import spartan.transport.socket.wire.ReplyDecoder;
import spartan.transport.socket.wire.SocketTls;
import spartan.transport.socket.wire.WireFormat;
import spartan.transport.socket.wire.WireJson;

/**
 * The connector's end of one TCP connection, the last handler of its pipeline (the server's
 * counterpart is {@code SocketServerHandler}): requests are correlated with replies by {@code id},
 * and pushed events go to the current {@link SocketClientEventStream}. Replies and events are
 * handled on the connection's Netty event loop; callers block (if they do) on their own threads.
 * Thread-safe.
 */
final class SocketClientHandler extends SimpleChannelInboundHandler<Object> {
  private static final Logger log = LoggerFactory.getLogger(SocketClientHandler.class);

  /** A request waiting for its reply. */
  private sealed interface Pending {
    void fail(ChatException e);
  }

  /** A request answered with its reply's tree. */
  private record TreeCall(CompletableFuture<JsonNode> reply, Consumer<JsonNode> onOkInline)
      implements Pending {
    @Override
    public void fail(ChatException e) {
      reply.completeExceptionally(e);
    }
  }

  /** A send, answered with its receipt. */
  private record SendCall(CompletableFuture<SendReceipt> receipt) implements Pending {
    @Override
    public void fail(ChatException e) {
      receipt.completeExceptionally(e);
    }
  }

  /**
   * Flushes merged into one write(2) at most: requests written from many caller threads leave
   * together instead of one system call each.
   */
  static final int FLUSH_AFTER = 64;

  /** Set when the handler joins the pipeline, before {@link #open} returns it. */
  private volatile Channel channel;
  private final ClientSettings settings;
  /** Requests a connection may have unanswered: {@link TransportOptions#MAX_PENDING_REQUESTS}. */
  static final int MAX_PENDING = TransportOptions.MAX_PENDING_REQUESTS;

  /** Bytes of requests one connection may have unanswered. */
  static final long MAX_PENDING_BYTES = TransportOptions.MAX_PENDING_REQUEST_BYTES;

  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final AtomicLong ids = new AtomicLong();
  private volatile SocketClientEventStream stream;
  private volatile boolean deliberateClose;

  /** Reading paused because the stream's buffer is full; written on the event loop only. */
  private volatile boolean paused;

  private SocketClientHandler(ClientSettings settings) {
    this.settings = settings;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  /** Connects, blocking the calling thread (never an event loop) until connected or failed. */
  static SocketClientHandler open(Bootstrap bootstrap, ClientSettings settings) {
    SocketClientHandler c = new SocketClientHandler(settings);
    // Kept here: a failed handshake closes the channel, which may empty the pipeline before
    // the caller looks for the handler there.
    AtomicReference<SslHandler> ssl = new AtomicReference<>();
    Bootstrap b =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (settings.tls() != null) {
                      // SNI and host-name verification use the name the certificate must carry.
                      ssl.set(
                          settings
                              .tls()
                              .newHandler(ch.alloc(), settings.tlsName(), settings.port()));
                      ch.pipeline().addLast(SocketTls.HANDLER, ssl.get());
                    }
                    ch.pipeline()
                        .addLast(new FlushConsolidationHandler(FLUSH_AFTER, true))
                        .addLast(new LineBasedFrameDecoder(settings.maxReplyBytes(), true, true))
                        .addLast(new ReplyDecoder(settings.json()))
                        .addLast(c);
                  }
                });
    ChannelFuture f = b.connect(settings.host(), settings.port());
    if (!f.awaitUninterruptibly(settings.connectTimeout().toMillis()) || !f.isSuccess()) {
      f.channel().close();
      String why = f.cause() == null ? "timed out" : f.cause().getMessage();
      throw ChatException.unavailable(
          "Cannot connect to " + settings.host() + ":" + settings.port() + " (" + why + ").");
    }
    if (settings.tls() != null) {
      awaitHandshake(f.channel(), ssl.get(), settings);
    }
    if (!f.channel().isActive()) {
      c.connectionLost();
    }
    return c;
  }

  /** Waits for the TLS handshake; a failure closes the channel and says why in plain words. */
  private static void awaitHandshake(Channel ch, SslHandler ssl, ClientSettings settings) {
    Future<Channel> h = ssl.handshakeFuture();
    String address = settings.host() + ":" + settings.port();
    if (!h.awaitUninterruptibly(settings.connectTimeout().toMillis())) {
      ch.close();
      throw ChatException.unavailable("TLS with the server at " + address + " timed out.");
    }
    if (!h.isSuccess()) {
      ch.close();
      String why = TlsFailures.describe(h.cause(), address, settings.tlsName());
      throw new ChatException(
          ErrorCode.UNAVAILABLE,
          why != null ? why : "TLS with the server at " + address + " failed: " + h.cause(),
          h.cause());
    }
  }

  /** Whether the caller is on a connector event loop (this connection's or another's). */
  boolean inEventLoop() {
    return ClientLoops.onLoopThread();
  }

  /**
   * Sends {@code op} with {@code fields}; the future completes on the event loop with the reply
   * (ok) or a {@link ChatException}. {@code onOkInline}, if not null, runs on the event loop when
   * the ok reply arrives, before any later event is handled.
   */
  CompletableFuture<JsonNode> call(String op, ObjectNode fields, Consumer<JsonNode> onOkInline) {
    long id = ids.incrementAndGet();
    ObjectNode req = WireJson.object();
    req.put("id", id).put("op", op);
    req.setAll(fields);
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    send(id, settings.json().line(channel.alloc(), req), reply, new TreeCall(reply, onOkInline));
    return reply;
  }

  /**
   * A send, written straight to the socket's buffer without a tree; the future completes on the
   * event loop with the receipt or a {@link ChatException}.
   */
  CompletableFuture<SendReceipt> send(Recipient to, MessageBody body, String clientMsgId) {
    long id = ids.incrementAndGet();
    ByteBuf line = ClientLines.sendLine(channel.alloc(), id, to, body, clientMsgId);
    CompletableFuture<SendReceipt> receipt = new CompletableFuture<>();
    send(id, line, receipt, new SendCall(receipt));
    return receipt;
  }

  /** Writes {@code line} (released here) as request {@code id}, which {@code done} completes. */
  private void send(long id, ByteBuf line, CompletableFuture<?> done, Pending p) {
    int bytes = line.readableBytes() - 1; // without the newline
    if (bytes > settings.maxRequestBytes()) {
      line.release();
      done.completeExceptionally(
          ChatException.invalid(
              "Request is "
                  + bytes
                  + " bytes; the server takes at most "
                  + settings.maxRequestBytes()
                  + "."));
      return;
    }
    if (pending.size() >= MAX_PENDING || pendingBytes.get() + bytes > MAX_PENDING_BYTES) {
      line.release();
      // A caller outrunning the server: refuse now rather than queue without limit.
      done.completeExceptionally(
          ChatException.unavailable(
              "Too many requests are waiting for the server (at most "
                  + MAX_PENDING
                  + " or "
                  + (MAX_PENDING_BYTES >> 20)
                  + " MiB); slow down."));
      return;
    }
    pendingBytes.addAndGet(bytes);
    pending.put(id, p);
    done.whenComplete( // also when a caller gives up waiting
        (r, e) -> {
          pending.remove(id);
          pendingBytes.addAndGet(-bytes);
        });
    if (!channel.isActive()) {
      line.release();
      failPending(id);
      return;
    }
    channel
        .writeAndFlush(line)
        .addListener(
            w -> {
              if (!w.isSuccess()) {
                failPending(id);
              }
            });
  }

  private void failPending(long id) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.fail(lost());
    }
  }

  private static ChatException lost() {
    return ChatException.unavailable("Connection to the server was lost.");
  }

  /** Routes events to {@code s} from now on (null: drop them). Safe from any thread. */
  void streamTo(SocketClientEventStream s) {
    stream = s;
    resumeIfRoom();
  }

  SocketClientEventStream stream() {
    return stream;
  }

  boolean isOpen() {
    return channel.isActive();
  }

  /** Closes the connection; a stream attached to it completes normally. */
  void close() {
    deliberateClose = true;
    channel.close();
  }

  /** The next close is expected (after logout): streams complete instead of failing. */
  void expectClose() {
    deliberateClose = true;
  }

  // ---- flow control with the stream -------------------------------------------------------

  /** Event loop: the stream's buffer is full, stop reading the socket. */
  private void pauseIfFull(SocketClientEventStream s) {
    if (!paused && s.buffered() >= SocketClientEventStream.HIGH_WATER) {
      paused = true;
      channel.config().setAutoRead(false);
      // The stream may have drained between the offer and here (it checks 'paused' after
      // draining, we check its size after pausing; one of the two sees the other).
      if (s.buffered() < SocketClientEventStream.LOW_WATER) {
        resume();
      }
    }
  }

  boolean isPaused() {
    return paused;
  }

  /** Any thread: resume reading if the current stream has room again. */
  void resumeIfRoom() {
    channel
        .eventLoop()
        .execute(
            () -> {
              SocketClientEventStream s = stream;
              if (paused && (s == null || s.buffered() < SocketClientEventStream.HIGH_WATER)) {
                resume();
              }
            });
  }

  private void resume() {
    paused = false;
    channel.config().setAutoRead(true);
  }

  // ---- inbound ----------------------------------------------------------------------------

  private void onLine(Object msg) {
    if (msg instanceof ChatEvent.MessageReceived e) {
      onEvent(e);
      return;
    }
    if (msg instanceof ClientLines.SendOk ok) {
      onSendOk(ok);
      return;
    }
    ObjectNode line = (ObjectNode) msg; // the decoder passes nothing else
    if (line.has("event")) {
      if ("ping".equals(line.path("event").asText())) {
        // The server's keep-alive: any line answers it; without one it closes the connection.
        channel.writeAndFlush(ClientLines.pong());
        return;
      }
      onEvent(line);
      return;
    }
    JsonNode idNode = line.get("id");
    if (idNode == null || !idNode.canConvertToLong()) {
      // Unsolicited error (login deadline, oversize line): the server closes next.
      log.debug("server said: {}", line.path("error").path("message").asText(""));
      return;
    }
    Pending p = pending.remove(idNode.longValue());
    if (p == null) {
      return;
    }
    answer(p, line);
  }

  /** Completes {@code p} with its reply, {@code line}. */
  private static void answer(Pending p, ObjectNode line) {
    if (!line.path("ok").asBoolean(false)) {
      p.fail(WireFormat.errorFrom(line));
      return;
    }
    try {
      if (p instanceof SendCall send) {
        send.receipt().complete(WireFormat.receiptFrom(line));
      } else if (p instanceof TreeCall call) {
        if (call.onOkInline() != null) {
          call.onOkInline().accept(line);
        }
        call.reply().complete(line);
      }
    } catch (RuntimeException e) {
      p.fail(ChatException.wrap(e));
    }
  }

  /** The fast path's send reply; a request that was not a send gets it as the tree it was. */
  private void onSendOk(ClientLines.SendOk ok) {
    Pending p = pending.remove(ok.id());
    if (p instanceof SendCall send) {
      send.receipt().complete(ok.receipt());
    } else if (p != null) {
      ObjectNode line = WireJson.object().put("id", ok.id()).put("ok", true);
      answer(p, line.setAll(WireFormat.receipt(ok.receipt())));
    }
  }

  private void onEvent(ObjectNode line) {
    SocketClientEventStream s = stream;
    if (s == null) {
      return;
    }
    if ("stream_end".equals(line.path("event").asText())) {
      stream = null;
      ChatException error = line.hasNonNull("code") ? WireFormat.errorOf(line, "") : null;
      s.end(error);
      resumeIfRoom();
      return;
    }
    ChatEvent e;
    try {
      e = WireFormat.eventFrom(line);
    } catch (RuntimeException bad) {
      log.warn("ignoring a malformed event from the server: {}", bad.getMessage());
      return;
    }
    if (e != null) {
      onEvent(e);
    }
  }

  private void onEvent(ChatEvent e) {
    SocketClientEventStream s = stream;
    if (s != null) {
      s.offer(e);
      pauseIfFull(s);
    }
  }

  private void connectionLost() {
    for (Long id : pending.keySet()) {
      failPending(id);
    }
    SocketClientEventStream s = stream;
    stream = null;
    if (s != null) {
      s.end(deliberateClose ? null : lost());
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
    onLine(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connectionLost();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection to the server failed: {}", cause.toString());
    ctx.close();
  }

  @Override
  public String toString() {
    return "SocketClientHandler" + channel;
  }

  /** Runs {@code r} once the connection is closed (at once if it is). */
  void onClose(Runnable r) {
    channel.closeFuture().addListener(f -> r.run());
  }
}
