package spartan.transport.socket.client;

import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.Map;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.transport.socket.SocketTransportProvider;
import spartan.transport.socket.wire.SocketTls;
import spartan.transport.socket.wire.WireJson;

/**
 * The connector's settings, read once from {@link TransportOptions} and its extras.
 *
 * @param maxRequestBytes the server's line limit; longer requests fail locally with {@code
 *     INVALID_ARGUMENT} instead of costing the connection
 * @param maxReplyBytes the longest reply or event line accepted from the server
 * @param requestTimeout how long a blocking call waits for its reply
 * @param tls the TLS context every connection starts with; null for plain text
 * @param tlsName the name the server's certificate must carry (the host, unless overridden)
 */
record ClientSettings(
    String host,
    int port,
    int maxRequestBytes,
    int maxReplyBytes,
    Duration connectTimeout,
    Duration requestTimeout,
    WireJson json,
    SslContext tls,
    String tlsName) {

  /** Extra key: the longest reply line accepted, in bytes (default 64 MiB). */
  static final String MAX_REPLY_BYTES = "maxReplyBytes";

  /** Extra key: milliseconds a call waits for its reply (default 60000). */
  static final String REQUEST_TIMEOUT_MS = "requestTimeoutMs";

  static final int DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

  static ClientSettings from(TransportOptions o) {
    Map<String, String> x = o.extra();
    int maxReply =
        (int)
            Math.min(
                Integer.MAX_VALUE - 8,
                Math.max(o.maxFrameBytes(), number(x, MAX_REPLY_BYTES, DEFAULT_MAX_REPLY_BYTES)));
    if (o.tls() != null && !(o.tls() instanceof Tls.Client)) {
      throw new IllegalArgumentException("a connector needs Tls.Client settings, not " + o.tls());
    }
    long timeout = number(x, REQUEST_TIMEOUT_MS, 60_000);
    if (timeout <= 0) {
      throw new IllegalArgumentException("extra." + REQUEST_TIMEOUT_MS + " must be positive");
    }
    return new ClientSettings(
        o.host(),
        o.port() == 0 ? SocketTransportProvider.DEFAULT_PORT : o.port(),
        o.maxFrameBytes(),
        maxReply,
        Duration.ofSeconds(10),
        Duration.ofMillis(timeout),
        WireJson.bounded(maxReply),
        o.tls() instanceof Tls.Client c ? SocketTls.client(c) : null,
        o.tls() instanceof Tls.Client c ? c.expectedName(o.host()) : o.host());
  }

  private static long number(Map<String, String> extra, String key, long dflt) {
    String v = extra.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "extra." + key + " must be a whole number, was '" + v + "'");
    }
  }
}
