package spartan.transport.grpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.netty.shaded.io.netty.handler.ssl.SupportedCipherSuiteFilter;
import javax.net.ssl.SSLException;
import spartan.core.spi.Tls;

/**
 * grpc-java (shaded Netty) {@link SslContext}s from the core's {@link Tls} settings: ALPN {@code
 * h2} as grpc-java configures it, with the core's protocols and suites, on the JDK's TLS provider
 * (the same provider the socket transport uses). grpc-java's client always verifies the host
 * name.
 */
final class GrpcTls {
  private GrpcTls() {}

  static SslContext server(Tls.Server tls) {
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forServer(tls.keys()), SslProvider.JDK)
          .protocols(Tls.PROTOCOLS)
          .ciphers(Tls.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  static SslContext client(Tls.Client tls) {
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
          .trustManager(tls.trust()) // null: the JDK's default trust store
          .protocols(Tls.PROTOCOLS)
          .ciphers(Tls.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }
}
