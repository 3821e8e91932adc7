package spartan.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import spartan.core.limit.RateLimiter.Decision;
import spartan.core.testing.RedisProcess;

/** The Redis limiter against a real redis-server on a free port. */
class RedisRateLimiterTest {
  private static RedisProcess redis;
  private RedisClient admin;
  private final List<RateLimiter> limiters = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisProcess.startOnFreePort();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @BeforeEach
  void connect() {
    admin = RedisClient.create("127.0.0.1", redis.port());
    admin.flushAll();
  }

  @AfterEach
  void disconnect() {
    limiters.forEach(RateLimiter::close);
    admin.close();
  }

  /** A limiter straight on Redis, no fallback: failures would surface as exceptions. */
  private RedisRateLimiter redisLimiter(int perSecond, int burst) {
    FailoverRateLimiter failover =
        (FailoverRateLimiter)
            RateLimiter.builder()
                .perSecond(perSecond)
                .burst(burst)
                .redis(redis.url())
                .redisTimeout(Duration.ofSeconds(2))
                .build();
    limiters.add(failover);
    return failover.primaryForTests();
  }

  @Test
  void allowsTheBurstThenDeniesWithTheRetryDelay() {
    RedisRateLimiter limiter = redisLimiter(1, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    }
    Decision denied = limiter.tryAcquire("send:alice");
    assertThat(denied.allowed()).isFalse();
    // One interval is a second; a little of it has passed since the burst.
    assertThat(denied.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(limiter.tryAcquire("send:bob").allowed()).isTrue();
  }

  @Test
  void stateExpiresWithItsTheoreticalArrivalTime() {
    RedisRateLimiter limiter = redisLimiter(1, 5);
    limiter.tryAcquire("send:alice");
    long ttl = admin.pttl(RedisRateLimiter.KEY_PREFIX + "send:alice");
    assertThat(ttl).isPositive().isLessThanOrEqualTo(1000); // one interval ahead of Redis's now
  }

  @Test
  void aFlushedScriptIsReloadedTransparentlyAndTheBudgetSurvives() {
    RedisRateLimiter limiter = redisLimiter(1, 2);
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(admin.scriptExists(List.of(RedisRateLimiter.SCRIPT_SHA))).containsExactly(true);
    admin.scriptFlush();
    assertThat(admin.scriptExists(List.of(RedisRateLimiter.SCRIPT_SHA))).containsExactly(false);
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(limiter.tryAcquire("send:alice").allowed()).isFalse();
    assertThat(admin.scriptExists(List.of(RedisRateLimiter.SCRIPT_SHA))).containsExactly(true);
  }

  @Test
  void twoNodesSharingRedisStayExactUnderConcurrentLoad() throws Exception {
    RateLimit limit = new RateLimit(50, 10);
    List<RedisRateLimiter> nodes =
        List.of(
            redisLimiter(limit.perSecond(), limit.burst()),
            redisLimiter(limit.perSecond(), limit.burst()));
    record Accepted(Instant before, Instant after, int node) {}
    ConcurrentLinkedQueue<Accepted> accepted = new ConcurrentLinkedQueue<>();
    Duration run = Duration.ofMillis(2500);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int node = t % 2;
      workers.add(
          pool.submit(
              () -> {
                go.await();
                long end = System.nanoTime() + run.toNanos();
                int calls = 0;
                while (System.nanoTime() < end) {
                  Instant before = Instant.now();
                  Decision d = nodes.get(node).tryAcquire("send:alice");
                  calls++;
                  if (d.allowed()) {
                    accepted.add(new Accepted(before, Instant.now(), node));
                  }
                }
                return calls;
              }));
    }
    go.countDown();
    int calls = 0;
    for (Future<Integer> w : workers) {
      calls += w.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();

    List<Accepted> all = new ArrayList<>(accepted);
    all.sort(Comparator.comparing(Accepted::before));
    // Redis and this JVM read the same machine clock, and each acceptance happened, by Redis
    // TIME, between its call's start and end: so count, for every window starting at a call's
    // start, the acceptances whose whole call lies inside it. That can only undercount.
    int worst = 0;
    for (Accepted first : all) {
      Instant windowEnd = first.before().plusSeconds(1);
      int n = 0;
      for (Accepted a : all) {
        if (!a.before().isBefore(first.before()) && !a.after().isAfter(windowEnd)) {
          n++;
        }
      }
      worst = Math.max(worst, n);
    }
    assertThat(calls).as("calls made").isGreaterThan(all.size() * 2);
    assertThat(worst).isLessThanOrEqualTo(limit.perSecond() + limit.burst());
    // And the limit is not just denying: the budget was used, through both nodes.
    assertThat(all.size()).isGreaterThanOrEqualTo(limit.burst() + limit.perSecond());
    assertThat(all.stream().map(Accepted::node).distinct()).containsExactlyInAnyOrder(0, 1);
    Duration elapsed = Duration.between(all.get(0).before(), all.get(all.size() - 1).after());
    assertThat(all.size())
        .isLessThanOrEqualTo(limit.burst() + 1 + (int) (elapsed.toMillis() * limit.perSecond() / 1000));
  }

  /** A limiter whose batcher waits for {@link RedisRateLimiter#startBatcher()}. */
  private RedisRateLimiter pausedLimiter(int port, RateLimit limit) {
    RedisRateLimiter limiter =
        new RedisRateLimiter(
            RedisClient.create("127.0.0.1", port), limit, "test", Duration.ofSeconds(2), false);
    limiters.add(limiter);
    return limiter;
  }

  private long scriptCalls() {
    String stats = admin.info("commandstats");
    int at = stats.indexOf("cmdstat_evalsha:calls=");
    if (at < 0) {
      return 0;
    }
    int from = at + "cmdstat_evalsha:calls=".length();
    return Long.parseLong(stats.substring(from, stats.indexOf(',', from)));
  }

  /** Starts a check per key, each on its own thread, and waits until all are queued. */
  private List<Future<Decision>> queueChecks(
      ExecutorService pool, RedisRateLimiter limiter, String... keys) {
    int queued = limiter.queued() + keys.length;
    List<Future<Decision>> checks = new ArrayList<>();
    for (String key : keys) {
      checks.add(pool.submit(() -> limiter.tryAcquire(key)));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> limiter.queued() == queued);
    return checks;
  }

  /** Every check failed with {@link RateLimiterUnavailableException} saying {@code why}. */
  private static void assertAllUnavailable(List<? extends Future<Decision>> checks, String why) {
    for (Future<Decision> f : checks) {
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(RateLimiterUnavailableException.class)
          .hasMessageContaining(why);
    }
  }

  @Test
  void checksQueuedTogetherAreAnsweredByOneScriptCall() throws Exception {
    RedisRateLimiter limiter = pausedLimiter(redis.port(), new RateLimit(1, 3));
    ExecutorService pool = Executors.newFixedThreadPool(7);
    try {
      List<Future<Decision>> alice =
          queueChecks(
              pool, limiter, "send:alice", "send:alice", "send:alice", "send:alice", "send:alice");
      List<Future<Decision>> bob = queueChecks(pool, limiter, "send:bob", "send:bob");
      long callsBefore = scriptCalls();

      limiter.startBatcher();

      List<Decision> aliceDecisions = new ArrayList<>();
      for (Future<Decision> f : alice) {
        aliceDecisions.add(f.get(10, TimeUnit.SECONDS));
      }
      // One key named five times in a batch is charged five times: the burst of 3, then denials.
      assertThat(aliceDecisions).filteredOn(Decision::allowed).hasSize(3);
      assertThat(aliceDecisions)
          .filteredOn(d -> !d.allowed())
          .hasSize(2)
          .allSatisfy(d -> assertThat(d.retryAfter()).isPositive());
      for (Future<Decision> f : bob) {
        assertThat(f.get(10, TimeUnit.SECONDS).allowed()).isTrue();
      }
      // Seven checks were queued, so NOSCRIPT plus one retry at most: the script ran once.
      assertThat(scriptCalls() - callsBefore).isBetween(1L, 2L);
      assertThat(admin.get(RedisRateLimiter.KEY_PREFIX + "send:bob")).isNotNull();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBatchThatCannotReachRedisFailsEveryCheckInIt() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    RedisRateLimiter limiter = pausedLimiter(closedPort, new RateLimit(10, 10));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Decision>> checks =
          queueChecks(pool, limiter, "send:alice", "send:bob", "send:carol");
      limiter.startBatcher();
      assertAllUnavailable(checks, "unreachable");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closingFailsTheChecksStillQueuedAndLaterOnes() throws Exception {
    RedisRateLimiter limiter = pausedLimiter(redis.port(), new RateLimit(10, 10));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Decision>> checks = queueChecks(pool, limiter, "send:alice", "send:bob");
      limiter.close();
      assertAllUnavailable(checks, "closed");
      assertThatThrownBy(() -> limiter.tryAcquire("send:alice"))
          .isInstanceOf(RateLimiterUnavailableException.class)
          .hasMessageContaining("closed");
      assertThat(limiter.acquireAsync("send:alice")).isCompletedExceptionally();
      assertThat(limiter.queued()).isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLostConnectionFailsEveryCheckQueuedBehindItAtOnce() throws Exception {
    // A "Redis" that accepts connections and never answers: each batch would wait out the
    // socket timeout on a connection of its own, so connections counted = batches that waited.
    try (ServerSocket blackHole = new ServerSocket(0)) {
      List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(blackHole.accept());
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.start();
      RedisClient client =
          RedisClient.builder()
              .hostAndPort(new HostAndPort("127.0.0.1", blackHole.getLocalPort()))
              .clientConfig(
                  DefaultJedisClientConfig.builder()
                      .socketTimeoutMillis(300)
                      .build())
              .build();
      // Jedis's builder opens (and gives up on) one connection of its own.
      await().atMost(Duration.ofSeconds(10)).until(() -> accepted.size() == 1);
      RedisRateLimiter limiter =
          new RedisRateLimiter(
              client, new RateLimit(10, 10), "black hole", Duration.ofMillis(300), false);
      limiters.add(limiter);
      List<CompletableFuture<Decision>> checks = new ArrayList<>();
      for (int i = 0; i < RedisRateLimiter.MAX_BATCH + 44; i++) {
        checks.add(limiter.acquireAsync("send:user" + i));
      }
      limiter.startBatcher();
      assertAllUnavailable(checks, "unreachable");
      // Two batches' worth failed on the first batch's one connection.
      assertThat(accepted).hasSize(2);
      assertThat(limiter.queued()).isZero();
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
