package spartan.transport.socket.server;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import spartan.core.spi.TransportOptions;

/**
 * The server's bounds, read once from {@link TransportOptions} and its socket-specific extras, so a
 * bad setting fails at start-up naming itself.
 *
 * @param maxLineBytes the longest request line accepted, newline excluded
 * @param loginTimeout how long a new connection may stay without logging in
 * @param keepAlive how long a connection may send nothing before the server pings it; one more
 *     such period without a line and it is closed
 * @param lineTimeout how long one line may take to arrive, from its first byte to its newline
 * @param shutdownGrace how long {@link SocketServer#close()} lets in-flight requests finish
 * @param ioThreads Netty worker threads; 0 for Netty's default
 */
record ServerSettings(
    int maxLineBytes,
    Duration loginTimeout,
    Duration keepAlive,
    Duration lineTimeout,
    Duration shutdownGrace,
    int ioThreads) {

  /** Extra key: milliseconds a line may take to arrive (default 10000). */
  static final String LINE_TIMEOUT_MS = "lineTimeoutMs";

  /** Extra key: milliseconds close() waits for in-flight requests (default 2000). */
  static final String SHUTDOWN_GRACE_MS = "shutdownGraceMs";

  /** Extra key: Netty worker threads (default 0: Netty's choice). */
  static final String IO_THREADS = "ioThreads";

  ServerSettings {
    positive("loginTimeout", loginTimeout);
    positive("keepAlive", keepAlive);
    positive("extra." + LINE_TIMEOUT_MS, lineTimeout);
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (ioThreads < 0) {
      throw new IllegalArgumentException("extra." + IO_THREADS + " must not be negative");
    }
  }

  static ServerSettings from(TransportOptions o) {
    Map<String, String> x = o.extra();
    return new ServerSettings(
        o.maxFrameBytes(),
        o.loginTimeout(),
        o.keepAlive(),
        Duration.ofMillis(number(x, LINE_TIMEOUT_MS, 10_000)),
        Duration.ofMillis(number(x, SHUTDOWN_GRACE_MS, 2_000)),
        (int) number(x, IO_THREADS, 0));
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

  private static void positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }
}
