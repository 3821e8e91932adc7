package spartan.core.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;

/**
 * A local Redis Cluster of three masters and no replicas for tests: three {@code redis-server
 * --cluster-enabled yes} on free loopback ports, joined with {@code redis-cli --cluster create}
 * (both from PATH). {@link #start()} returns once every node reports {@code cluster_state:ok}.
 * Persistence is off; the nodes' files live in a temporary directory removed by {@link #close}.
 * Not thread-safe.
 */
public final class RedisClusterProcess implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();

  private RedisClusterProcess(Path dir) {
    this.dir = dir;
  }

  /** Starts three masters on free ports, creates the cluster and waits until it is ok. */
  public static RedisClusterProcess start() {
    Path dir;
    try {
      dir = Files.createTempDirectory("redis-cluster");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisClusterProcess c = new RedisClusterProcess(dir);
    try {
      c.startNodes();
      c.create();
      c.awaitOk();
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** {@code redis://127.0.0.1:<port>} of the first node; clients discover the others. */
  public String url() {
    return "redis://127.0.0.1:" + ports.get(0);
  }

  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /** Deletes every key on every master. */
  public void flushAll() {
    for (int port : ports) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        j.flushAll();
      }
    }
  }

  private void startNodes() {
    for (int i = 0; i < 3; i++) {
      int port = freePort();
      ProcessBuilder pb =
          new ProcessBuilder(
                  "redis-server",
                  "--port", Integer.toString(port),
                  "--bind", "127.0.0.1",
                  "--cluster-enabled", "yes",
                  "--cluster-config-file", dir.resolve("nodes-" + port + ".conf").toString(),
                  "--dir", dir.toString(),
                  "--save", "",
                  "--appendonly", "no",
                  "--loglevel", "warning")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis-" + port + ".log").toFile());
      try {
        servers.add(pb.start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run redis-server from PATH", e);
      }
      ports.add(port);
    }
    for (int port : ports) {
      await()
          .atMost(STARTUP)
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> ping(port));
    }
  }

  private static boolean ping(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port)) {
      return "PONG".equals(j.ping());
    }
  }

  private void create() {
    List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    for (int port : ports) {
      command.add("127.0.0.1:" + port);
    }
    command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(
            "redis-cli --cluster create failed:\n" + new String(out, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run redis-cli from PATH", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitOk() {
    for (int port : ports) {
      await()
          .atMost(STARTUP)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
              return j.clusterInfo().contains("cluster_state:ok");
            }
          });
    }
  }

  @Override
  public void close() {
    for (Process p : servers) {
      p.destroyForcibly();
    }
    for (Process p : servers) {
      try {
        p.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    servers.clear();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  private static int freePort() {
    // cluster bus ports are port + 10000: pick ports whose bus port is free too
    for (int attempt = 0; attempt < 50; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = s.getLocalPort();
        if (port + 10000 > 65535) {
          continue;
        }
        try (ServerSocket bus = new ServerSocket(port + 10000, 1, InetAddress.getLoopbackAddress())) {
          return port;
        }
      } catch (IOException e) {
        // taken: try another
      }
    }
    throw new IllegalStateException("no free port pair for a cluster node");
  }
}
