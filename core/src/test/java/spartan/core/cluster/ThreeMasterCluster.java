package spartan.core.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * A local Redis Cluster of three masters (no replicas) on free loopback ports, each in its own
 * directory, created with {@code redis-cli --cluster create}; ready when every node reports
 * {@code cluster_state:ok}. Killed by {@link #close}. Not thread-safe.
 */
final class ThreeMasterCluster implements AutoCloseable {
  private final List<Process> processes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  ThreeMasterCluster(Path dir) throws Exception {
    try {
      for (int i = 0; i < 3; i++) {
        int port = freePort();
        Path d = Files.createDirectories(dir.resolve("n" + port));
        Process p =
            new ProcessBuilder(
                    "redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--save", "", "--appendonly", "no", "--dir", d.toString())
                .redirectErrorStream(true)
                .redirectOutput(d.resolve("log").toFile())
                .start();
        processes.add(p);
        ports.add(port);
      }
      for (int port : ports) {
        awaitPing(port);
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      for (int port : ports) {
        create.add("127.0.0.1:" + port);
      }
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      Process c = new ProcessBuilder(create).redirectErrorStream(true).start();
      String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!c.waitFor(30, TimeUnit.SECONDS) || c.exitValue() != 0) {
        throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
      }
      for (int port : ports) {
        awaitClusterOk(port);
      }
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  Set<HostAndPort> seeds() {
    Set<HostAndPort> s = new LinkedHashSet<>();
    for (int port : ports) {
      s.add(new HostAndPort("127.0.0.1", port));
    }
    return s;
  }

  private static void awaitPing(int port) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .ignoreExceptions()
        .until(() -> {
          try (RedisClient r = RedisClient.create("127.0.0.1", port)) {
            return "PONG".equals(r.ping());
          }
        });
  }

  private static void awaitClusterOk(int port) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> {
          try (RedisClient r = RedisClient.create("127.0.0.1", port)) {
            Object info = r.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER, "INFO");
            return new String((byte[]) info, StandardCharsets.UTF_8).contains("cluster_state:ok");
          }
        });
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
