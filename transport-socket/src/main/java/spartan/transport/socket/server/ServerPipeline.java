package spartan.transport.socket.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import spartan.core.ChatService;
import spartan.transport.socket.wire.MessageLines;
import spartan.transport.socket.wire.ReplyEncoder;
import spartan.transport.socket.wire.RequestDecoder;
import spartan.transport.socket.wire.SocketTls;
import spartan.transport.socket.wire.WireJson;

/**
 * Builds each connection's pipeline in the order of Netty's SecureChat example: TLS when
 * configured, the keep-alive clock (any byte read restarts it), the slow-line guard, framing with
 * a maximum length (fail-fast, so an oversize line is refused as soon as it passes the limit and
 * never buffered), the request decoder and the reply encoder, then the one connection handler.
 * Connections over the server's caps never get here: they are refused when accepted ({@link
 * SocketServer}).
 */
final class ServerPipeline extends ChannelInitializer<SocketChannel> {
  static final String FLUSH = "flush";
  /**
   * Flushes are merged: every reply and event is written with a flush, and this handler turns
   * the flushes made while a read is being handled, or within one turn of the event loop, into
   * one write(2) (at most this many are merged), instead of one system call per line.
   */
  static final int FLUSH_AFTER = 64;
  static final String IDLE = "idle";
  static final String DEADLINE = "lineDeadline";
  static final String FRAMER = "framer";
  static final String DECODER = "decoder";
  static final String ENCODER = "encoder";
  static final String HANDLER = "connection";

  private final ChatService service;
  private final Executor blocking;
  private final ServerSettings settings;
  private final RequestDecoder decoder;
  private final ReplyEncoder encoder;
  private final SslContext tls; // null: plain text
  private final SocketTls.HandshakeErrors tlsErrors = new SocketTls.HandshakeErrors();

  ServerPipeline(ChatService service, Executor blocking, ServerSettings settings) {
    this(service, blocking, settings, null);
  }

  /** With {@code tls} not null, every connection starts with a TLS handshake. */
  ServerPipeline(ChatService service, Executor blocking, ServerSettings settings, SslContext tls) {
    this.tls = tls;
    this.service = service;
    this.blocking = blocking;
    this.settings = settings;
    WireJson json = WireJson.bounded(settings.maxLineBytes());
    this.decoder = new RequestDecoder(json);
    this.encoder = new ReplyEncoder(json, new MessageLines());
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (tls != null) {
      // First in the pipeline, as in Netty's SecureChat: everything after it sees plain text.
      ch.pipeline().addLast(SocketTls.HANDLER, tls.newHandler(ch.alloc()));
      ch.pipeline().addLast(SocketTls.ERRORS, tlsErrors);
    }
    configure(ch.pipeline());
  }

  /** Adds this transport's handlers to {@code p}; also used by tests on an EmbeddedChannel. */
  void configure(ChannelPipeline p) {
    // Logins and sign-ups through this connection count against its address.
    Operations operations =
        new Operations(service, peerAddress(p.channel()), settings.maxLineBytes());
    p.addLast(FLUSH, new FlushConsolidationHandler(FLUSH_AFTER, true));
    p.addLast(
        IDLE,
        new IdleStateHandler(settings.keepAlive().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
    p.addLast(DEADLINE, new LineDeadline(settings.lineTimeout()));
    p.addLast(FRAMER, new LineBasedFrameDecoder(settings.maxLineBytes(), true, true));
    p.addLast(DECODER, decoder);
    p.addLast(ENCODER, encoder);
    p.addLast(HANDLER, new SocketServerHandler(operations, blocking, settings));
  }

  /** The peer's IP address; loopback for a channel that has none (an EmbeddedChannel in tests). */
  static InetAddress peerAddress(Channel ch) {
    return ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress()
        : InetAddress.getLoopbackAddress();
  }
}
