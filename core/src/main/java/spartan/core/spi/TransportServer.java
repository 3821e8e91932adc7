package spartan.core.spi;

/** A running transport server. Thread-safe. */
public interface TransportServer extends AutoCloseable {

  /** The port actually bound (useful when started on port 0). */
  int port();

  /**
   * Connections open on this transport now, for metrics. The default, for a transport that does
   * not count them, is 0.
   */
  default int openConnections() {
    return 0;
  }

  /**
   * Tells the transport whether the server is ready for traffic (store and Redis reachable), for
   * a transport with a health protocol of its own to report (gRPC's health service). Called
   * whenever readiness changes; the default ignores it.
   */
  default void serving(boolean ready) {}

  /**
   * Stops accepting, lets in-flight calls finish for a short grace period, then closes the
   * connections. Idempotent.
   */
  @Override
  void close();
}
