package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.ClusterNodes;
import spartan.core.testing.EventRecorder;
import spartan.core.testing.RedisProcess;

/**
 * What one direct message between users on two nodes costs Redis, counted by Redis: {@code INFO
 * commandstats} (every command, those scripts run included) and {@code MONITOR} (the commands
 * clients sent, without those scripts ran). With the store's inserts telling the bus where the
 * recipient is live, the bus reads no presence; without, it reads it once per message. Counts,
 * never timings; the read events Redis processed per message (about its round trips) are logged.
 */
@Timeout(120)
class DirectMessageRedisCostTest {
  private static final int MESSAGES = 200;
  private static RedisProcess redis;

  private final ExecutorService delivery = Executors.newCachedThreadPool();

  @BeforeAll
  static void startRedis() {
    redis = RedisProcess.startOnFreePort();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void stop() {
    delivery.shutdownNow();
  }

  /** Calls per message: of every command (commandstats) and of those clients sent (MONITOR). */
  private record Cost(Map<String, Double> all, Map<String, Double> sent, double reads) {
    double all(String command) {
      return all.getOrDefault(command, 0.0);
    }

    double sent(String command) {
      return sent.getOrDefault(command, 0.0);
    }
  }

  private Cost directMessages(boolean presenceFromStore) throws Exception {
    ClusterNodes.flush(redis.url());
    try (RedisChatStore store = RedisChatStore.builder().url(redis.url()).build();
        ClusterNodes nodes =
            ClusterNodes.start(
                redis.url(),
                2,
                LocalChatService.builder().store(store).deliveryExecutor(delivery),
                b -> b.presenceFromStore(presenceFromStore).checkEvery(Duration.ofHours(1)))) {
      nodes.node(0).createAccount("alice", null);
      nodes.node(0).createAccount("bob", null);
      Session alice = nodes.node(0).login("alice", null);
      EventRecorder bob = EventRecorder.unbounded();
      nodes.node(1).login("bob", null).events(0).subscribe(bob);
      bob.awaitSubscribed();
      alice.send(Recipient.user("bob"), "warm-up"); // loads the scripts
      assertThat(bob.nextMessage().message().text()).isEqualTo("warm-up");
      awaitNoPendingFanOut();

      Map<String, Long> sent = new HashMap<>();
      try (Monitor monitor = new Monitor(sent);
          Jedis j = new Jedis("127.0.0.1", redis.port())) {
        j.configResetStat();
        long readsBefore = stat(j.info("stats"), "total_reads_processed");
        for (int i = 0; i < MESSAGES; i++) {
          alice.send(Recipient.user("bob"), "m" + i);
        }
        assertThat(bob.nextMessages(MESSAGES)).hasSize(MESSAGES);
        awaitNoPendingFanOut();
        long reads = stat(j.info("stats"), "total_reads_processed") - readsBefore;
        Map<String, Long> all = commandStats(j.info("commandstats"));
        monitor.stop();
        Cost cost = new Cost(perMessage(all), perMessage(sent), (double) reads / MESSAGES);
        // a measurement, not a check: Surefire keeps it in the test report
        System.out.printf(Locale.ROOT,
            "presenceFromStore=%s, per direct message: all commands %s; sent by clients %s;"
                + " read events %.2f%n",
            presenceFromStore, new java.util.TreeMap<>(cost.all()),
            new java.util.TreeMap<>(cost.sent()), cost.reads());
        return cost;
      }
    }
  }

  @Test
  void theBusReadsNoPresenceWhenTheInsertReturnedIt() throws Exception {
    Cost cost = directMessages(true);
    // What clients send per message: the recipient's lookup (HMGET), the record (ZADD of the
    // fan-out index pipelined with EVALSHA record), the insert (EVALSHA), the publish (SPUBLISH,
    // batched when news queues together), the pending record's drop (EVALSHA, batched) and the
    // receiving node's inbox read (EVALSHA). No presence read.
    assertThat(cost.sent("hgetall")).as("presence reads by the bus").isLessThan(0.05);
    assertThat(cost.sent("hmget")).isBetween(1.0, 1.05);
    assertThat(cost.sent("zadd")).isEqualTo(1.0);
    assertThat(cost.sent("spublish")).isBetween(0.5, 1.0);
    assertThat(cost.sent("evalsha")).isBetween(3.0, 5.0);
    // Redis's own count, scripts' commands included: the insert script reads the presence
    // once; the message is appended twice (history, inbox).
    assertThat(cost.all("hgetall")).isBetween(1.0, 1.05);
    assertThat(cost.all("xadd")).isEqualTo(2.0);
  }

  @Test
  void withoutThePresenceFromTheStoreTheBusReadsIt() throws Exception {
    Cost cost = directMessages(false);
    assertThat(cost.sent("hgetall")).as("presence reads by the bus").isBetween(0.5, 1.0);
    assertThat(cost.all("hgetall")).isBetween(1.5, 2.05);
  }

  private static void awaitNoPendingFanOut() {
    try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> j.keys("sp:{c:*}:fo:*").stream().allMatch(k -> j.hlen(k) == 0));
    }
  }

  private static Map<String, Double> perMessage(Map<String, Long> calls) {
    Map<String, Double> out = new HashMap<>();
    calls.forEach((c, n) -> out.put(c, (double) n / MESSAGES));
    return out;
  }

  private static long stat(String info, String name) {
    for (String line : info.split("\r\n")) {
      if (line.startsWith(name + ":")) {
        return Long.parseLong(line.substring(name.length() + 1).strip());
      }
    }
    throw new AssertionError(name + " not in INFO");
  }

  /** {@code cmdstat_<command>:calls=<n>,...} lines, as command to calls. */
  private static Map<String, Long> commandStats(String info) {
    Map<String, Long> out = new HashMap<>();
    for (String line : info.split("\r\n")) {
      if (line.startsWith("cmdstat_")) {
        String command = line.substring("cmdstat_".length(), line.indexOf(':'));
        String calls = line.substring(line.indexOf("calls=") + 6, line.indexOf(','));
        out.put(command, Long.parseLong(calls));
      }
    }
    return out;
  }

  /**
   * Counts the commands clients send, by name, from Redis's MONITOR feed; those a script runs
   * ({@code [0 lua]}) are left out, as are the heartbeat's.
   */
  private static final class Monitor implements AutoCloseable {
    private final Jedis connection = new Jedis("127.0.0.1", redis.port());
    private final Thread thread;
    private static final String END = "monitor-end";
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<Map<String, Long>> into;

    Monitor(Map<String, Long> counts) throws InterruptedException {
      this.into = new AtomicReference<>(counts);
      thread =
          new Thread(
              () -> {
                try {
                  connection.monitor(
                      new JedisMonitor() {
                        @Override
                        public void onCommand(String line) {
                          started.countDown();
                          if (line.contains(END)) {
                            ended.countDown();
                            return;
                          }
                          Map<String, Long> m = into.get();
                          if (m == null || line.contains(" [0 lua] ") || line.contains("\"info\"")
                              || line.contains("\"config\"")) {
                            return;
                          }
                          int q = line.indexOf("] \"");
                          if (q < 0) {
                            return;
                          }
                          String rest = line.substring(q + 3);
                          String command = rest.substring(0, rest.indexOf('"'))
                              .toLowerCase(Locale.ROOT);
                          synchronized (m) {
                            m.merge(command, 1L, Long::sum);
                          }
                        }
                      });
                } catch (RuntimeException closed) {
                  // stop() closed the connection
                }
              },
              "redis-monitor");
      thread.setDaemon(true);
      thread.start();
      // MONITOR echoes nothing until a command runs: ping until it shows one
      try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
        while (!started.await(50, TimeUnit.MILLISECONDS)) {
          j.ping();
        }
      }
      into.set(null);
      synchronized (counts) {
        counts.clear();
      }
      into.set(counts);
    }

    /** Stops counting once MONITOR has delivered every command sent before this call. */
    void stop() throws InterruptedException {
      try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
        j.echo(END);
        while (!ended.await(50, TimeUnit.MILLISECONDS)) {
          j.echo(END);
        }
      }
      into.set(null);
    }

    @Override
    public void close() {
      into.set(null);
      connection.close();
    }
  }
}
