package spartan.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A server process's resource figures at one moment.
 *
 * @param heapUsedBytes heap in use (after a full GC when sampled with {@code gc})
 * @param rssBytes resident set size from {@code /proc/self/status} VmRSS, or -1 if unreadable
 * @param cpuNanos process CPU time so far (all threads, user + system), or -1 if unknown
 */
record ServerStats(long heapUsedBytes, long rssBytes, long cpuNanos) {

  /** Where a target reads its server's figures; returns null when it cannot. */
  @FunctionalInterface
  interface Source {
    ServerStats sample(boolean gc);
  }

  /** Samples this JVM; with {@code gc}, collects garbage twice first so heap means live data. */
  static ServerStats sampleThisProcess(boolean gc) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    if (gc) {
      // Two collections: the first may only promote what the second frees.
      memory.gc();
      memory.gc();
    }
    return new ServerStats(memory.getHeapMemoryUsage().getUsed(), rss(), processCpuNanos());
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024; // the kernel reports kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Context switches so far, voluntary and not, summed over this process's live threads from
   * {@code /proc/self/task/<tid>/status}; threads that have ended are not counted. -1 where there
   * is no {@code /proc} (not Linux). On a VM a switch, with the wake-up that caused it, can cost
   * tens of microseconds of CPU, so this is the figure that tells how well a path batches.
   */
  static long contextSwitches() {
    long total = 0;
    try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")
                || line.startsWith("nonvoluntary_ctxt_switches:")) {
              total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        } catch (IOException e) {
          // the thread ended between the listing and the read
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return total;
  }

  /** One line of JSON, the form the relay's {@code ?stats} command answers with. */
  String toJsonLine() {
    return "{\"heapUsedBytes\":" + heapUsedBytes + ",\"rssBytes\":" + rssBytes + ",\"cpuNanos\":"
        + cpuNanos + "}";
  }
}
