package spartan.core.spi;

import java.util.List;
import java.util.Objects;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS for a transport, in JDK terms only, so each transport builds its own engine (Netty's {@code
 * SslContext}, grpc-java's) from the same material and the same policy: {@link #PROTOCOLS} and
 * {@link #CIPHER_SUITES}. A {@link TransportOptions} without one is plain text.
 *
 * <p>Values are immutable; the managers they hold must be thread-safe (the JDK's are, and so is
 * {@link spartan.core.tls.ReloadingKeyManager}).
 */
public sealed interface Tls permits Tls.Server, Tls.Client {

  /** TLS 1.3 first, 1.2 for older clients; nothing older is ever negotiated. */
  List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * The suites either side may negotiate, in preference order: every TLS 1.3 suite, and for TLS
   * 1.2 only forward-secret (ECDHE) AEAD suites. A provider without some of them uses the rest.
   */
  List<String> CIPHER_SUITES =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * A server's side: the certificate chain and key it presents, asked of {@code keys} at every
   * handshake, so a key manager that reloads its files changes what new connections see.
   */
  record Server(X509ExtendedKeyManager keys) implements Tls {
    public Server {
      Objects.requireNonNull(keys, "keys");
    }
  }

  /**
   * A client's side. The server's certificate must chain to {@code trust} and name the host
   * connected to (or {@code serverName}, when given): host-name verification is always on.
   *
   * @param trust the certificates to trust; null for the JDK's default (system) trust store
   * @param serverName the name the certificate must carry instead of the host connected to; null
   *     to check the host itself
   */
  record Client(X509TrustManager trust, String serverName) implements Tls {
    public Client {
      if (serverName != null && serverName.isBlank()) {
        throw new IllegalArgumentException("serverName must not be blank");
      }
    }

    /** System trust, the host's own name checked. */
    public static Client systemTrust() {
      return new Client(null, null);
    }

    /** The name the server's certificate must carry when connecting to {@code host}. */
    public String expectedName(String host) {
      return serverName != null ? serverName : host;
    }
  }
}
