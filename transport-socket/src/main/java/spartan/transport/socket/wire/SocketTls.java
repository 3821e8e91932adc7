package spartan.transport.socket.wire;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.spi.Tls;

/**
 * Netty {@link SslContext}s from the core's {@link Tls} settings, with its protocols and suites,
 * on the JDK's TLS provider (OpenSSL through netty-tcnative is not used: one provider to patch,
 * and the measured cost of the JDK's is in BENCHMARKS.md). Built once per server or connector;
 * each connection gets its own {@code SslHandler} from it.
 */
public final class SocketTls {
  public static final String HANDLER = "tls";
  public static final String ERRORS = "tlsErrors";

  private SocketTls() {}

  public static SslContext server(Tls.Server tls) {
    try {
      return SslContextBuilder.forServer(tls.keys())
          .sslProvider(SslProvider.JDK)
          .protocols(Tls.PROTOCOLS)
          .ciphers(Tls.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  public static SslContext client(Tls.Client tls) {
    try {
      return SslContextBuilder.forClient()
          .sslProvider(SslProvider.JDK)
          .trustManager(tls.trust()) // null: the JDK's default trust store
          .protocols(Tls.PROTOCOLS)
          .ciphers(Tls.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
          .endpointIdentificationAlgorithm("HTTPS") // host-name verification, always
          .build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /**
   * Sits right after the server's {@code SslHandler}: a peer that does not speak TLS, or fails
   * the handshake, is closed with one debug line instead of reaching the connection handler as
   * an unexpected error (anyone can send bytes that are not TLS, so it is not worth a warning).
   */
  @ChannelHandler.Sharable
  public static final class HandshakeErrors extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeErrors.class);

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable c = cause instanceof DecoderException && cause.getCause() != null
          ? cause.getCause() : cause;
      if (c instanceof SSLException) {
        log.debug("{}: TLS failed: {}", ctx.channel(), c.toString());
        ctx.close();
        return;
      }
      ctx.fireExceptionCaught(cause);
    }
  }
}
