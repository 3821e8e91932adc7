package spartan.bench;

/**
 * The server's CPU time over one measured window, from its process figures before and after:
 * the forked server's (or all its nodes') alone, or this whole process's when the server is
 * in-process — which {@link #label} says. Not thread-safe; one scenario thread.
 */
final class CpuWindow {
  private final Target target;
  private final ServerStats start;

  private CpuWindow(Target target, ServerStats start) {
    this.target = target;
    this.start = start;
  }

  /** Samples the server's CPU now. */
  static CpuWindow open(Target target) {
    return new CpuWindow(target, target.stats(false));
  }

  /** What the figure is: the server's CPU, or the process's (server and generator together). */
  static String label(Target target) {
    return target.statsIncludeGenerator() ? "process CPU (server + generator)" : "server CPU";
  }

  /** CPU-seconds since {@link #open} per million of {@code count}; NaN where unknown. */
  double perMillion(long count) {
    ServerStats end = target.stats(false);
    if (start == null || end == null || start.cpuNanos() < 0 || end.cpuNanos() < 0 || count <= 0) {
      return Double.NaN;
    }
    return (end.cpuNanos() - start.cpuNanos()) / 1e9 / count * 1e6;
  }
}
