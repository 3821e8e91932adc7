package spartan.core.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import redis.clients.jedis.RedisClient;
import spartan.core.cluster.RedisNodeBus;
import spartan.core.service.LocalChatService;

/**
 * Several {@link LocalChatService} nodes sharing one store and one Redis bus, in one JVM: each
 * node has its own {@link RedisNodeBus} (subscribed before {@link #start} returns) and its own
 * scheduler. The caller gives the service builder (store, clock, executor, limits: shared by
 * every node) and closes the store. {@link #abandon} stops a node as {@code kill -9} would.
 * Not thread-safe.
 */
public final class ClusterNodes implements AutoCloseable {
  private static volatile RedisProcess shared;

  private final List<LocalChatService> services = new ArrayList<>();
  private final List<RedisNodeBus> buses = new ArrayList<>();
  private final List<ScheduledExecutorService> schedulers = new ArrayList<>();
  private final UnaryOperator<RedisNodeBus.Builder> connect;
  private final UnaryOperator<RedisNodeBus.Builder> tune;

  private ClusterNodes(
      UnaryOperator<RedisNodeBus.Builder> connect, UnaryOperator<RedisNodeBus.Builder> tune) {
    this.connect = connect;
    this.tune = tune;
  }

  /**
   * One {@code redis-server} for the whole test JVM, started on first use, emptied by {@link
   * #flush} and killed when the JVM exits.
   */
  public static synchronized RedisProcess sharedRedis() {
    if (shared == null || !shared.isRunning()) {
      RedisProcess r = RedisProcess.startOnFreePort();
      Runtime.getRuntime().addShutdownHook(new Thread(r::kill));
      shared = r;
    }
    return shared;
  }

  /** Empties the Redis at {@code url} (presence, requests, epoch), for a fresh cluster. */
  public static void flush(String url) {
    try (RedisClient c = RedisClient.create(url)) {
      c.flushAll();
    }
  }

  /** Starts {@code n} nodes built from {@code service}, on the Redis at {@code url}. */
  public static ClusterNodes start(String url, int n, LocalChatService.Builder service) {
    return start(url, n, service, b -> b);
  }

  /** As above, with the buses' settings tuned (heartbeat, deadAfter, ...). */
  public static ClusterNodes start(
      String url,
      int n,
      LocalChatService.Builder service,
      UnaryOperator<RedisNodeBus.Builder> tune) {
    return start(b -> b.redis(url, Duration.ofSeconds(5)), n, service, tune);
  }

  /**
   * Starts {@code n} nodes whose buses {@code connect} points at Redis (a single server, a Redis
   * Cluster), then {@code tune} adjusts.
   */
  public static ClusterNodes start(
      UnaryOperator<RedisNodeBus.Builder> connect,
      int n,
      LocalChatService.Builder service,
      UnaryOperator<RedisNodeBus.Builder> tune) {
    ClusterNodes c = new ClusterNodes(connect, tune);
    try {
      for (int i = 0; i < n; i++) {
        c.add(service);
      }
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Starts one more node on the same Redis; returns its index. */
  public int add(LocalChatService.Builder service) {
    int i = services.size();
    ScheduledExecutorService scheduler =
        Executors.newScheduledThreadPool(2, daemon("cluster-node" + i));
    schedulers.add(scheduler);
    RedisNodeBus bus =
        tune.apply(
                connect
                    .apply(RedisNodeBus.builder())
                    .nodeId("node" + i + "-" + Long.toHexString(System.nanoTime()))
                    .scheduler(scheduler)
                    .threads(daemon("cluster-sub" + i)))
            .build();
    buses.add(bus);
    LocalChatService s = service.nodeBus(bus).build();
    services.add(s);
    bus.start(Duration.ofSeconds(10));
    return i;
  }

  public LocalChatService node(int i) {
    return services.get(i);
  }

  public RedisNodeBus bus(int i) {
    return buses.get(i);
  }

  public List<LocalChatService> services() {
    return List.copyOf(services);
  }

  public int size() {
    return services.size();
  }

  /**
   * Stops node {@code i} as a crash would: its bus stops without leaving (presence stays for
   * the others to sweep) and its service refuses new calls.
   */
  public void abandon(int i) {
    buses.get(i).abandon();
    schedulers.get(i).shutdownNow();
  }

  @Override
  public void close() {
    for (LocalChatService s : services) {
      s.close();
    }
    for (RedisNodeBus b : buses) {
      b.close();
    }
    for (ScheduledExecutorService s : schedulers) {
      s.shutdownNow();
      try {
        s.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
