package spartan.adversarial;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Spartan server in a child JVM with a small heap and direct-memory budget, configured by a
 * temporary config.yaml on free ports. Its memory is read through {@link MeasuredServerMain}'s
 * {@code mem} command; its log is kept in {@code target/adversarial-logs/} for diagnosis.
 */
final class ChildServer implements AutoCloseable {
  static final String HEAP = "-Xmx96m";
  static final String DIRECT = "-XX:MaxDirectMemorySize=48m";
  private static final long START_TIMEOUT_S = 90;
  private static final Pattern PORT = Pattern.compile("port (\\d+) \\((\\w+)\\)");

  /** A memory reading of the child: bytes of heap in use after a full GC, and of direct memory. */
  record Memory(long heap, long direct, String line) {
    long heapMiB() {
      return heap >> 20;
    }

    long directMiB() {
      return direct >> 20;
    }
  }

  private final Process process;
  private final Writer commands;
  private final BlockingQueue<String> memLines = new LinkedBlockingQueue<>();
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private final Map<String, Integer> ports;
  private final Path dir;
  private final String name;

  private ChildServer(Process process, Path dir, String name) throws Exception {
    this.process = process;
    this.dir = dir;
    this.name = name;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    CompletableFuture<Map<String, Integer>> started = new CompletableFuture<>();
    Thread drain = new Thread(() -> drain(started), "child-stdout");
    drain.setDaemon(true);
    drain.start();
    try {
      this.ports = started.get(START_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("server did not start:\n" + tail(), e);
    }
  }

  /**
   * Starts a server with both transports; {@code name} names its kept log. {@code settings}
   * are extra config.yaml settings as
   * flattened keys ("limits.keepAliveSeconds" → 2, "auth" → "password").
   */
  static ChildServer start(Path dir, String name, Map<String, Object> settings) throws Exception {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("transports", "[grpc, socket]");
    s.put("host", "127.0.0.1");
    s.put("grpc.port", 0);
    s.put("socket.port", 0);
    s.put("auth", "open");
    s.put("demoUsers", "[alice, bob, charlie, eve]");
    s.put("store.type", "embedded");
    s.put("store.dataDir", dir.resolve("data").toString());
    // The attacks need volume the default per-user send limit would refuse; sends are not what
    // is under test here.
    s.put("rateLimit.perSecond", 100000);
    s.put("rateLimit.burst", 100000);
    s.putAll(settings);
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, yaml(s));

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(java, HEAP, DIRECT, "-XX:+UseSerialGC",
        "-cp", classPath, MeasuredServerMain.class.getName(), "--config", config.toString()));
    Process p = new ProcessBuilder(cmd)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .start();
    return new ChildServer(p, dir, name);
  }

  /** Nested YAML from flattened keys; values are plain scalars or flow lists. */
  private static String yaml(Map<String, Object> flat) {
    Map<String, Map<String, Object>> sections = new LinkedHashMap<>();
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : flat.entrySet()) {
      int dot = e.getKey().indexOf('.');
      if (dot < 0) {
        sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
      } else {
        sections.computeIfAbsent(e.getKey().substring(0, dot), k -> new LinkedHashMap<>())
            .put(e.getKey().substring(dot + 1), e.getValue());
      }
    }
    sections.forEach((section, values) -> {
      sb.append(section).append(":\n");
      values.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
    });
    return sb.toString();
  }

  private void drain(CompletableFuture<Map<String, Integer>> started) {
    try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer log = Files.newBufferedWriter(dir.resolve("server.log"))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("MEM ")) {
          memLines.add(line);
          continue;
        }
        log.write(line);
        log.write('\n');
        log.flush();
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > 40) {
            tail.removeFirst();
          }
        }
        if (line.startsWith("Spartan server started on ")) {
          Map<String, Integer> found = new HashMap<>();
          Matcher m = PORT.matcher(line);
          while (m.find()) {
            found.put(m.group(2), Integer.parseInt(m.group(1)));
          }
          started.complete(found);
        }
      }
    } catch (IOException e) {
      // The child is gone; readers of memory time out and say so.
    }
    started.completeExceptionally(new IllegalStateException("child exited"));
  }

  int grpcPort() {
    return ports.get("grpc");
  }

  int socketPort() {
    return ports.get("socket");
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The server's memory now, after a full GC in the child; fails if it cannot answer in time. */
  Memory memory() {
    try {
      memLines.clear();
      commands.write("mem\n");
      commands.flush();
      String line = memLines.poll(30, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("server did not report its memory within 30 s\n" + tail());
      }
      return new Memory(field(line, "heap"), field(line, "direct"), line);
    } catch (IOException e) {
      throw new UncheckedIOException("server is gone\n" + tail(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long field(String line, String name) {
    Matcher m = Pattern.compile("\\b" + name + "=(-?\\d+)").matcher(line);
    if (!m.find()) {
      throw new IllegalStateException("no " + name + " in " + line);
    }
    return Long.parseLong(m.group(1));
  }

  /** The last lines the server logged, for failure messages. */
  String tail() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  /**
   * Ends the child (stdin's end makes it halt; a child that cannot is killed) and keeps its log
   * as {@code target/adversarial-logs/<name>.log}.
   */
  @Override
  public void close() throws Exception {
    try (OutputStream in = process.getOutputStream()) {
      // closing stdin is the stop signal
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Path logs = Path.of("target", "adversarial-logs");
    Files.createDirectories(logs);
    Files.copy(dir.resolve("server.log"), logs.resolve(name + ".log"),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
