package spartan.core.spi;

/** A running transport server. Thread-safe. */
public interface TransportServer extends AutoCloseable {

  /** The port actually bound (useful when started on port 0). */
  int port();

  /**
   * Stops accepting, lets in-flight calls finish for a short grace period, then closes the
   * connections. Idempotent.
   */
  @Override
  void close();
}
