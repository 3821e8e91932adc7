package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} (from PATH) on a free loopback port with persistence off, for
 * the Redis limiter variant — never the machine's shared Redis. Closing kills it. Not thread-safe.
 */
final class RedisServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private RedisServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts one and waits (at most 15 s) until it is ready to accept connections. */
  static RedisServerProcess start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder(
                "redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")
            .redirectErrorStream(true)
            .start();
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
    Thread drain =
        new Thread(
            () -> {
              try {
                while (out.readLine() != null) {
                  // discard
                }
              } catch (IOException e) {
                // it exited
              }
            },
            "bench-redis-output");
    drain.setDaemon(true);
    drain.start();
    return new RedisServerProcess(p, port);
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
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
