package spartan.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code spartan server} in a child JVM on this test's class path, as an operator runs it: the
 * test reads the start-up line for the ports, and stops it with SIGTERM ({@link
 * ProcessHandle#destroy()}), so the real shutdown hook runs.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern PORT = Pattern.compile("port (\\d+) \\((\\w+)\\)");

  private final Process process;
  private final List<String> output = new ArrayList<>(); // guarded by itself
  private final CompletableFuture<Map<String, Integer>> started = new CompletableFuture<>();
  private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

  private ServerProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(this::read, "server-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code ServerMain} with {@code args} and waits (at most 60 s) for its start-up line. */
  static ServerProcess start(List<String> args) throws IOException {
    return start(List.of(), args);
  }

  /** As {@link #start(List)}, with options for the child JVM (heap size, collector). */
  static ServerProcess start(List<String> jvmOptions, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // The server's own logging set-up, not the test one from core's test-jar on this class path.
    command.add("-Dlogback.configurationFile=logback.xml");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ServerMain.class.getName());
    command.addAll(args);
    ServerProcess p =
        new ServerProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    try {
      p.started.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.process.destroyForcibly();
      throw new AssertionError("the server did not start within 60 s:\n" + p.output(), e);
    }
    return p;
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        synchronized (output) {
          if (output.size() < 10_000) {
            output.add(line);
          }
        }
        if (line.startsWith("Spartan server started on ")) {
          Map<String, Integer> ports = new LinkedHashMap<>();
          Matcher m = PORT.matcher(line);
          while (m.find()) {
            ports.put(m.group(2), Integer.parseInt(m.group(1)));
          }
          started.complete(ports);
        }
      }
    } catch (IOException e) {
      // The process went away; whatever it printed is kept.
    }
    started.completeExceptionally(new IllegalStateException("the server exited"));
    outputEnded.complete(null);
  }

  /** The bound port of each transport, by name. */
  Map<String, Integer> ports() {
    return started.join();
  }

  /** Sends SIGTERM and waits up to 60 s for the process to exit; returns its exit code. */
  int terminate() throws InterruptedException {
    // SIGTERM through the handle: Process.destroy() sends the same signal but also closes our
    // end of the child's output, and the shutdown's log lines would be lost.
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the server did not stop within 60 s of SIGTERM:\n" + output());
    }
    try {
      outputEnded.get(10, TimeUnit.SECONDS); // so output() has every line
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the server's output did not end", e);
    }
    return process.exitValue();
  }

  /** Kills the process at once (SIGKILL, as {@code kill -9}) and waits for it to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the server did not die within 30 s of SIGKILL");
    }
  }

  /** How many lines printed so far contain {@code text}. */
  long count(String text) {
    synchronized (output) {
      return output.stream().filter(l -> l.contains(text)).count();
    }
  }

  /** The lines printed so far that contain {@code text}, for failure messages. */
  String lines(String text) {
    synchronized (output) {
      return String.join("\n", output.stream().filter(l -> l.contains(text)).toList());
    }
  }

  /** Everything the process printed so far. */
  String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
