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
   * Bytes of direct (off-heap) memory its network library holds now, for metrics, or -1 if it
   * cannot say. Netty allocates most of its buffers outside the JVM's accounting of direct
   * buffers, so this is the only place they show; it counts every user of that library's copy
   * in the process, not just this server.
   */
  default long directMemoryUsed() {
    return -1;
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
