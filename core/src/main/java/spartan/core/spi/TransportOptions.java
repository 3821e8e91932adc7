package spartan.core.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Settings shared by both sides of every transport. Transport-specific extras go in {@code
 * extra} (documented by each transport) so this record does not grow a field per transport.
 *
 * @param host the address to bind (server) or connect to (client)
 * @param port the port; 0 on a server picks a free one
 * @param maxFrameBytes the largest inbound message or line the transport accepts
 * @param blockingExecutor where a server runs calls into the core (store and Redis may block);
 *     a client connector may run event callbacks on it, or on its own small pool when null
 * @param loginTimeout how long a server waits for a new connection to log in before closing it
 * @param keepAlive how often a silent peer is probed, and how long it may stay silent (gRPC
 *     raises intervals under 10 s to 10 s; the socket transport sends a {@code ping} event and
 *     closes a connection that sends nothing for twice this)
 * @param connections admits or refuses each accepted connection (a server shares one gate
 *     between its transports); client connectors ignore it
 * @param extra transport-specific settings, by name
 * @param tls {@link Tls.Server} on a server, {@link Tls.Client} on a client; null for plain text
 */
public record TransportOptions(
    String host,
    int port,
    int maxFrameBytes,
    Executor blockingExecutor,
    Duration loginTimeout,
    Duration keepAlive,
    ConnectionGate connections,
    Map<String, String> extra,
    Tls tls) {

  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

  // ---- bounds every transport keeps, in one place -----------------------------------------------

  /**
   * Requests one client session may have sent and not yet seen answered (the gRPC connector's
   * pipelined sends, the socket connector's calls on one connection). Past it, or past {@link
   * #MAX_PENDING_REQUEST_BYTES}, a call fails at once with {@code UNAVAILABLE} instead of queueing:
   * a sender faster than the server would otherwise fill the client's memory, and {@code
   * sendAsync} may be called from a thread that must not block. Well above a burst the conformance
   * suite sends at once (3,000).
   */
  public static final int MAX_PENDING_REQUESTS = 10_000;

  /** Bytes (as serialised) of the requests one client session may have unanswered. */
  public static final long MAX_PENDING_REQUEST_BYTES = 64L << 20;

  /**
   * Events a server asks the core for, per event stream, beyond what the connection has taken: so
   * a client that stops reading costs the server at most this many events on top of the
   * transport's own output buffer, and everything else waits in the user's inbox, which the core
   * reads again when demand returns. This is the window of a transport that holds the events
   * themselves (references to the core's shared {@link spartan.core.Message}s) until the
   * connection can write: the socket transport.
   */
  public static final int EVENT_WINDOW = 32;

  /**
   * {@link #EVENT_WINDOW} for a transport that encodes each event into its own per-stream buffer
   * as soon as it has it (gRPC, past {@code isReady()}): half, since there each held event is a
   * frame of bytes of its own rather than a reference.
   */
  public static final int ENCODED_EVENT_WINDOW = EVENT_WINDOW / 2;

  public TransportOptions {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, was " + port);
    }
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
    }
    Objects.requireNonNull(loginTimeout, "loginTimeout");
    Objects.requireNonNull(keepAlive, "keepAlive");
    Objects.requireNonNull(connections, "connections");
    extra = Map.copyOf(extra);
  }

  /** The options of older call sites: no TLS. */
  public TransportOptions(
      String host,
      int port,
      int maxFrameBytes,
      Executor blockingExecutor,
      Duration loginTimeout,
      Duration keepAlive,
      ConnectionGate connections,
      Map<String, String> extra) {
    this(host, port, maxFrameBytes, blockingExecutor, loginTimeout, keepAlive, connections, extra,
        null);
  }

  /** Defaults for a client or server on {@code host:port}: 64 KiB frames, 30 s login, 20 s keepalive. */
  public static TransportOptions of(String host, int port, Executor blockingExecutor) {
    return new TransportOptions(
        host,
        port,
        DEFAULT_MAX_FRAME_BYTES,
        blockingExecutor,
        Duration.ofSeconds(30),
        Duration.ofSeconds(20),
        ConnectionGate.unlimited(),
        Map.of());
  }

  public TransportOptions withPort(int newPort) {
    return new TransportOptions(
        host, newPort, maxFrameBytes, blockingExecutor, loginTimeout,
        keepAlive, connections, extra, tls);
  }

  public TransportOptions withMaxFrameBytes(int bytes) {
    return new TransportOptions(
        host, port, bytes, blockingExecutor, loginTimeout, keepAlive, connections, extra, tls);
  }

  public TransportOptions withLoginTimeout(Duration timeout) {
    return new TransportOptions(
        host, port, maxFrameBytes, blockingExecutor, timeout, keepAlive, connections, extra, tls);
  }

  public TransportOptions withKeepAlive(Duration interval) {
    return new TransportOptions(
        host, port, maxFrameBytes, blockingExecutor, loginTimeout,
        interval, connections, extra, tls);
  }

  public TransportOptions withConnections(ConnectionGate gate) {
    return new TransportOptions(
        host, port, maxFrameBytes, blockingExecutor, loginTimeout, keepAlive, gate, extra, tls);
  }

  /** The same options over TLS ({@code tls} null: plain text). */
  public TransportOptions withTls(Tls newTls) {
    return new TransportOptions(
        host, port, maxFrameBytes, blockingExecutor, loginTimeout, keepAlive, connections, extra,
        newTls);
  }

  public TransportOptions withExtra(String key, String value) {
    var m = new java.util.HashMap<>(extra);
    m.put(key, value);
    return new TransportOptions(
        host, port, maxFrameBytes, blockingExecutor, loginTimeout, keepAlive, connections, m, tls);
  }
}
