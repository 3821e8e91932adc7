package spartan.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  /**
   * Samples other processes on this machine (forked server nodes) and sums them: CPU time from
   * {@link ProcessHandle.Info#totalCpuDuration}, RSS from {@code /proc/<pid>/status}, and, with
   * {@code gc}, heap in use after a full GC asked of each through {@code jcmd} (else -1). Null if
   * a process has ended.
   */
  static ServerStats sampleProcesses(List<ProcessHandle> processes, boolean gc) {
    long cpu = 0;
    long rss = 0;
    long heap = gc ? 0 : -1;
    for (ProcessHandle p : processes) {
      if (!p.isAlive()) {
        return null;
      }
      Optional<Duration> t = p.info().totalCpuDuration();
      cpu = cpu < 0 || t.isEmpty() ? -1 : cpu + t.get().toNanos();
      long r = rss(Path.of("/proc", String.valueOf(p.pid()), "status"));
      rss = rss < 0 || r < 0 ? -1 : rss + r;
      if (gc) {
        long h = heapAfterGc(p.pid());
        heap = heap < 0 || h < 0 ? -1 : heap + h;
      }
    }
    return new ServerStats(heap, rss, cpu);
  }

  /** Asks a JVM to collect garbage, then reads its heap in use, through {@code jcmd}; -1 if not. */
  static long heapAfterGc(long pid) {
    if (jcmd(pid, "GC.run") == null) {
      return -1;
    }
    String info = jcmd(pid, "GC.heap_info");
    return info == null ? -1 : heapUsed(info);
  }

  /**
   * The heap in use from {@code jcmd GC.heap_info} output, in bytes: the sum of every {@code
   * total NK, used NK} line — G1's one heap line, or the serial and parallel collectors' young
   * and old generations (a JVM that sees one CPU picks the serial one) — leaving out metaspace,
   * which is not heap. -1 if there is none.
   */
  static long heapUsed(String heapInfo) {
    Matcher m = HEAP_USED.matcher(heapInfo);
    long kib = -1;
    while (m.find()) {
      kib = Math.max(kib, 0) + Long.parseLong(m.group(1));
    }
    return kib < 0 ? -1 : kib * 1024;
  }

  private static final Pattern HEAP_USED =
      Pattern.compile("total \\d{1,15}K, used (\\d{1,15})K");

  private static String jcmd(long pid, String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      return null;
    }
    try {
      Process p =
          new ProcessBuilder(jcmd.toString(), String.valueOf(pid), command)
              .redirectErrorStream(true)
              .start();
      byte[] out = p.getInputStream().readNBytes(1 << 16);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  static long rss() {
    return rss(Path.of("/proc/self/status"));
  }

  /** VmRSS from a {@code /proc/<pid>/status} file, in bytes; -1 if unreadable. */
  static long rss(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
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
