package spartan.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} (from PATH) for tests, on a free loopback port, with persistence
 * off ({@code --save "" --appendonly no}) unless started durable. {@link #start()} returns once the server logged "Ready
 * to accept connections"; {@link #kill()} and {@link #start()} again restart it on the same port,
 * empty unless durable. Never the shared Redis on 6379. Use with try-with-resources or close it in an
 * {@code @AfterEach}. Not thread-safe.
 */
public final class RedisProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisProcess.class);
  private static final Duration STARTUP = Duration.ofSeconds(15);

  private final int port;
  private final List<String> tlsArgs; // empty: plain TCP
  private final List<String> persistence;
  private Process process;

  private RedisProcess(int port, List<String> tlsArgs, List<String> persistence) {
    this.port = port;
    this.tlsArgs = List.copyOf(tlsArgs);
    this.persistence = List.copyOf(persistence);
  }

  /**
   * Starts a server on a free port that keeps its data in {@code dir} as the shipped {@code
   * packaging/redis.conf} does ({@code appendonly yes}, {@code appendfsync always}), so that
   * {@link #kill()} and {@link #start()} bring back everything it acknowledged.
   */
  public static RedisProcess startDurableOnFreePort(java.nio.file.Path dir) {
    return startOnFreePort(
        List.of(),
        List.of("--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always"));
  }

  /**
   * Starts a server on a free port that speaks only TLS, presenting {@code cert} (with {@code
   * key}) and asking clients for no certificate of their own.
   */
  public static RedisProcess startTlsOnFreePort(java.nio.file.Path cert, java.nio.file.Path key) {
    return startOnFreePort(
        List.of(
            "--tls-cert-file", cert.toString(),
            "--tls-key-file", key.toString(),
            "--tls-auth-clients", "no"));
  }

  /** Starts a server on a free port. */
  public static RedisProcess startOnFreePort() {
    return startOnFreePort(List.of());
  }

  private static RedisProcess startOnFreePort(List<String> tlsArgs) {
    return startOnFreePort(tlsArgs, List.of("--appendonly", "no"));
  }

  private static RedisProcess startOnFreePort(List<String> tlsArgs, List<String> persistence) {
    // A port found free can be taken before redis binds it; try a few.
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      RedisProcess r = new RedisProcess(freePort(), tlsArgs, persistence);
      try {
        r.start();
        return r;
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}, or {@code rediss://} for a TLS server. */
  public String url() {
    return (tlsArgs.isEmpty() ? "redis://" : "rediss://") + "127.0.0.1:" + port;
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the server (again) on this port and waits until it accepts connections. */
  public RedisProcess start() {
    if (isRunning()) {
      throw new IllegalStateException("redis-server on " + port + " is already running");
    }
    List<String> command = new java.util.ArrayList<>(List.of("redis-server"));
    if (tlsArgs.isEmpty()) {
      command.addAll(List.of("--port", Integer.toString(port)));
    } else {
      command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port)));
      command.addAll(tlsArgs);
    }
    command.addAll(
        List.of(
            "--bind", "127.0.0.1",
            "--save", "",
            "--protected-mode", "yes",
            "--loglevel", "notice"));
    command.addAll(persistence);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run redis-server from PATH", e);
    }
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              StringBuilder seen = new StringBuilder();
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  if (!ready.isDone()) {
                    seen.append(line).append('\n');
                  }
                  if (line.contains("Ready to accept connections")) {
                    ready.complete(null);
                  }
                }
              } catch (IOException e) {
                // stream closed with the process
              }
              ready.completeExceptionally(
                  new IllegalStateException("redis-server on " + port + " exited:\n" + seen));
            },
            "redis-" + port + "-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(STARTUP.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      p.destroyForcibly();
      throw (IllegalStateException) e.getCause();
    } catch (TimeoutException e) {
      p.destroyForcibly();
      throw new IllegalStateException("redis-server on " + port + " not ready in " + STARTUP);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException(e);
    }
    process = p;
    log.debug("redis-server ready on {}", port);
    return this;
  }

  /** Kills the server at once (SIGKILL), as a crash would, and waits for it to be gone. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      awaitExit();
    }
  }

  /** Stops the server (SIGTERM) and waits for it to exit. */
  public void stop() {
    if (process != null) {
      process.destroy();
      awaitExit();
    }
  }

  /** Kills it and starts a fresh, empty one on the same port. */
  public RedisProcess restart() {
    kill();
    return start();
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(STARTUP.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STARTUP.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  @Override
  public void close() {
    kill();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
