package spartan.core.service;

/**
 * How many threads a server gives the core, in one place for {@code spartan server} and the
 * benchmark's in-process server, so a benchmark measures the pools users run. Pure functions of
 * the CPU count; the callers create and own the executors.
 */
public final class ServerThreads {
  private ServerThreads() {}

  /**
   * Threads for calls into the core that may block (store commits, Redis): many more than
   * cores, since most of them wait.
   */
  public static int blocking(int cpus) {
    return Math.max(16, cpus * 8);
  }

  /** Threads that drain event streams to subscribers: a few per core, for fairness. */
  public static int delivery(int cpus) {
    return Math.max(4, cpus * 2);
  }

  /** {@link #blocking(int)} for the CPUs this JVM may use. */
  public static int blocking() {
    return blocking(Runtime.getRuntime().availableProcessors());
  }

  /** {@link #delivery(int)} for the CPUs this JVM may use. */
  public static int delivery() {
    return delivery(Runtime.getRuntime().availableProcessors());
  }
}
