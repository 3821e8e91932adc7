package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A private {@code redis-server} (from PATH) on a free loopback port — never the machine's shared
 * Redis: with persistence off for the Redis limiter variant, or durable as the Redis store is
 * meant to run ({@code appendonly yes}, {@code appendfsync always}) for the redis store and
 * {@code --nodes}. Closing kills it. Not thread-safe.
 */
final class RedisServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;
  private Jedis probe; // opened at the first info()

  private RedisServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts one without persistence and waits (at most 15 s) until it accepts connections. */
  static RedisServerProcess start() throws IOException {
    return start(List.of(), List.of("--save", "", "--appendonly", "no"));
  }

  /**
   * Starts one that fsyncs its append-only file on every write, with its files in {@code dir},
   * under {@code prefix} (a {@code taskset}, or nothing).
   */
  static RedisServerProcess startDurable(Path dir, List<String> prefix) throws IOException {
    Files.createDirectories(dir);
    return start(
        prefix,
        List.of("--save", "", "--appendonly", "yes", "--appendfsync", "always",
            "--dir", dir.toAbsolutePath().toString()));
  }

  private static RedisServerProcess start(List<String> prefix, List<String> persistence)
      throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1"));
    command.addAll(persistence);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Boolean> ready =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  if (line.contains("Ready to accept connections")) {
                    return true;
                  }
                }
              } catch (IOException e) {
                return false;
              }
              return false;
            });
    try {
      if (!ready.get(15, TimeUnit.SECONDS)) {
        throw new IOException("redis-server exited before it was ready");
      }
    } catch (Exception e) {
      p.destroyForcibly();
      throw e instanceof IOException io ? io : new IOException("redis-server did not start: " + e, e);
    }
    // Keep draining its output so a full pipe never blocks it.
    BenchThreads.drain(out, "bench-redis-output");
    return new RedisServerProcess(p, port);
  }

  int port() {
    return port;
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  /**
   * Its command and CPU counters now ({@code INFO commandstats}, {@code INFO cpu}), over one
   * connection kept for the purpose, so probing adds no connection handshake's commands to the
   * counts. Thread-safe.
   */
  synchronized RedisInfo info() {
    if (probe == null) {
      probe = new Jedis("127.0.0.1", port);
    }
    return RedisInfo.parse(probe.info("commandstats"), probe.info("cpu"));
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public synchronized void close() {
    if (probe != null) {
      probe.close();
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
