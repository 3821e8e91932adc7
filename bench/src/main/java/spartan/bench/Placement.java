package spartan.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the servers run and which CPUs they get: in child JVMs pinned apart from the load
 * generator with {@code taskset} when the machine can (the server on its first allowed CPU, the
 * generator on the others), else in the generator's JVM, with the reason. Decided once per run
 * by the pure {@link #decide}; {@link #pinGenerator()} applies the generator's half. An
 * immutable value.
 *
 * @param fork servers in child JVMs
 * @param serverCpus the children's CPU list for {@code taskset -c}, or null when not pinned
 * @param generatorCpus this JVM's CPU list, or null when not pinned
 * @param reason one line saying what was decided and why, printed with the results
 */
record Placement(boolean fork, String serverCpus, String generatorCpus, String reason) {

  /**
   * @param server {@code auto} (fork and pin when possible, else in-process), {@code fork}
   *     (fork, pinned when possible) or {@code inproc}
   * @param remote the servers run elsewhere ({@code --host})
   * @param taskset whether {@code taskset} is on the PATH
   * @param cpus the CPUs this process may run on, ascending
   */
  static Placement decide(String server, boolean remote, boolean taskset, List<Integer> cpus) {
    if (remote) {
      return new Placement(false, null, null,
          "remote server: not started or pinned here (pin it with taskset yourself)");
    }
    if (server.equals("inproc")) {
      return new Placement(false, null, null, "in-process (--server inproc), not pinned");
    }
    String missing =
        !taskset ? "taskset is not on the PATH"
            : cpus.size() < 2 ? "only one CPU (" + cpus + ") is available"
            : null;
    if (missing == null) {
      String serverCpus = String.valueOf(cpus.get(0));
      String generatorCpus = cpuList(cpus.subList(1, cpus.size()));
      return new Placement(true, serverCpus, generatorCpus,
          "servers forked, pinned with taskset to CPU " + serverCpus + "; load generator on CPU "
              + generatorCpus);
    }
    if (server.equals("fork")) {
      return new Placement(true, null, null, "servers forked, NOT pinned: " + missing);
    }
    return new Placement(false, null, null,
        "in-process, not pinned (falling back from --server auto: " + missing + ")");
  }

  /** The placement for this machine and command line. */
  static Placement here(String server, boolean remote) {
    return decide(server, remote, onPath("taskset"), allowedCpus());
  }

  boolean pinned() {
    return serverCpus != null;
  }

  /** {@code taskset -c CPUS} to put before a child's command, or nothing when not pinned. */
  List<String> serverPrefix() {
    return pinned() ? List.of("taskset", "-c", serverCpus) : List.of();
  }

  /** Moves every thread of this JVM onto the generator's CPUs; a no-op when not pinned. */
  void pinGenerator() throws IOException {
    if (!pinned()) {
      return;
    }
    Process p =
        new ProcessBuilder(
                "taskset", "-a", "-p", "-c", generatorCpus,
                String.valueOf(ProcessHandle.current().pid()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("taskset could not pin the load generator to CPU " + generatorCpus);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pinning the load generator", e);
    }
  }

  /** The CPUs this process may use, from {@code /proc/self/status}; 0..n-1 where unreadable. */
  static List<Integer> allowedCpus() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return parseCpuList(line.substring(line.indexOf(':') + 1));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or an odd kernel: fall through
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
      out.add(i);
    }
    return out;
  }

  /** Parses a kernel CPU list such as {@code 0-3,8,10-11}; at most 4096 CPUs. */
  static List<Integer> parseCpuList(String list) {
    List<Integer> out = new ArrayList<>();
    for (String part : list.trim().split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int dash = part.indexOf('-');
      int from = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).trim());
      int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).trim());
      if (from < 0 || to < from || to >= 4096) {
        throw new IllegalArgumentException("not a CPU list: " + list);
      }
      for (int c = from; c <= to; c++) {
        if (out.size() >= 4096) {
          throw new IllegalArgumentException("more than 4096 CPUs in " + list);
        }
        out.add(c);
      }
    }
    return out.stream().distinct().sorted().toList();
  }

  /** Writes ascending CPUs as a {@code taskset} list: {@code 1-3,5}. */
  static String cpuList(List<Integer> cpus) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cpus.size(); ) {
      int j = i;
      while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) {
        j++;
      }
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(cpus.get(i));
      if (j > i) {
        sb.append('-').append(cpus.get(j));
      }
      i = j + 1;
    }
    return sb.toString();
  }

  static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
