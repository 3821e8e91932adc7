package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code spartan server} — the real one, {@code ServerMain} with its configuration loader,
 * decorators and store — in a child JVM on this class path, serving gRPC and the socket transport
 * on free loopback ports, pinned where the {@link Placement} says. It runs under {@code bench
 * node}, which ends it when this process's end closes its stdin. Closing stops it. Not
 * thread-safe.
 */
final class ServerNode implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  /** The line {@code ServerMain} prints when every transport is up. */
  static final String STARTED = "Spartan server started on";

  /**
   * The configuration every node runs with: the shipped defaults, except the limits that would
   * throttle one load generator — thousands of users from one address, each sending far above
   * a person's rate — and no demo users. The rate limiter still checks every send, as it does
   * for users; it just never refuses one.
   */
  static final String CONFIG =
      """
      # Written by spartan bench for its forked server nodes.
      transports: [grpc, socket]
      host: 127.0.0.1
      auth: open
      demoUsers: []
      rateLimit:
        perSecond: 1000000
        burst: 1000000
        recipientsPerSecond: 0
      limits:
        maxConnections: 1000000
        maxConnectionsPerAddress: 1000000
        signUpsPerAddressPerHour: 1000000
      """;

  /** Logging for the nodes: the start-up banner on stdout (it carries the ports), problems on stderr. */
  static final String LOGBACK =
      """
      <configuration>
        <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%msg%n</pattern></encoder>
        </appender>
        <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
          <target>System.err</target>
          <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
        </appender>
        <logger name="spartan.banner" level="INFO" additivity="false"><appender-ref ref="OUT"/></logger>
        <root level="WARN"><appender-ref ref="ERR"/></root>
      </configuration>
      """;

  private final Process process;
  private final Map<String, Integer> ports;
  private final Path log;

  private ServerNode(Process process, Map<String, Integer> ports, Path log) {
    this.process = process;
    this.ports = Map.copyOf(ports);
    this.log = log;
  }

  /**
   * The server's command-line flags for a store: the one place that says how a node is pointed
   * at its store and, on several nodes, at the Redis that carries deliveries between them.
   *
   * @param dataDir the embedded store's directory (only used for {@code embedded})
   * @param redisUrl the shared Redis (only used for {@code redis})
   */
  static List<String> storeFlags(String store, Path dataDir, String redisUrl) {
    return switch (store) {
      case "memory" -> List.of("--store", "memory");
      case "embedded" -> List.of("--store", "embedded", "--data", dataDir.toString());
      case "redis" ->
          List.of("--store", "redis", "--redis", redisUrl, "--cluster-redis", redisUrl);
      default -> throw new IllegalArgumentException("no server flags for store " + store);
    };
  }

  /**
   * Starts node {@code name} over {@code store} in {@code workDir} (its configuration, logging,
   * data and log file go there) and waits until it serves.
   *
   * @param tls the certificate to serve TLS on every transport with, or null
   * @param javaOptions extra JVM options for the child ({@code --server-java})
   * @throws IOException if it does not start; the message carries the end of its log
   */
  static ServerNode start(
      String name,
      Placement placement,
      String store,
      String redisUrl,
      Path workDir,
      Path tlsDir,
      List<String> javaOptions)
      throws IOException {
    Files.createDirectories(workDir);
    Path config = workDir.resolve("bench-server.yaml");
    Path logback = workDir.resolve("bench-server-logback.xml");
    Files.writeString(config, CONFIG);
    Files.writeString(logback, LOGBACK);
    int grpc = freePort();
    int socket = freePort();
    List<String> command = new ArrayList<>(placement.serverPrefix());
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(javaOptions);
    command.addAll(
        List.of(
            "-Dlogback.configurationFile=" + logback,
            "-cp",
            System.getProperty("java.class.path"),
            BenchMain.class.getName(),
            "node",
            "--config",
            config.toString(),
            "--host",
            "127.0.0.1",
            "--transport",
            "both",
            "--grpc-port",
            String.valueOf(grpc),
            "--socket-port",
            String.valueOf(socket)));
    command.addAll(storeFlags(store, workDir.resolve("data-" + name), redisUrl));
    if (tlsDir != null) {
      command.addAll(
          List.of(
              "--tls-cert", tlsDir.resolve("server.pem").toString(),
              "--tls-key", tlsDir.resolve("server-key.pem").toString()));
    }
    Path log = workDir.resolve(name + ".log");
    Process p =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Boolean> started =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  if (line.startsWith(STARTED)) {
                    return true;
                  }
                }
                return false;
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    try {
      if (!started.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IOException(
            "server node " + name + " (" + store + ") exited before it served: " + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while starting server node " + name, e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException(
          "server node " + name + " (" + store + ") did not start: " + e + "; " + tail(log), e);
    } catch (IOException e) {
      p.destroyForcibly();
      throw e;
    }
    BenchThreads.drain(out, "bench-node-" + name + "-output");
    return new ServerNode(p, Map.of("grpc", grpc, "socket", socket), log);
  }

  /** The port of a wire: {@code grpc} or {@code socket}. */
  int port(String wire) {
    Integer p = ports.get(wire);
    if (p == null) {
      throw new IllegalArgumentException("a server node serves grpc and socket, not " + wire);
    }
    return p;
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  Path log() {
    return log;
  }

  /** Closes its stdin (so {@code bench node} exits through the server's own shutdown) and waits. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // it is going anyway
    }
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The last lines of a log, at most 2,000 chars, for an error message. */
  static String tail(Path log) {
    try {
      String s = Files.readString(log);
      s = s.length() > 2000 ? "…" + s.substring(s.length() - 2000) : s;
      return s.isBlank() ? "(its log " + log + " is empty)" : "its log ends: " + s.strip();
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }
}
