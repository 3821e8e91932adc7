package spartan.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import spartan.core.testing.RedisProcess;

/** Redis going away and coming back, with a real redis-server killed and restarted. */
class FailoverRateLimiterTest {
  private static final Duration RETRY = Duration.ofSeconds(5);

  private final FakeTicker ticker = new FakeTicker();
  private RedisProcess redis;
  private FailoverRateLimiter limiter;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private Logger logger;
  private Level previousLevel;

  @BeforeEach
  void start() {
    redis = RedisProcess.startOnFreePort();
    limiter =
        (FailoverRateLimiter)
            RateLimiter.builder()
                .perSecond(1) // a key lives a second, long enough to look at
                .burst(1000)
                .redis(redis.url())
                .redisTimeout(Duration.ofMillis(300))
                .redisRetryInterval(RETRY)
                .ticker(ticker)
                .build();
    logger = (Logger) LoggerFactory.getLogger(FailoverRateLimiter.class);
    previousLevel = logger.getLevel();
    logger.setLevel(Level.INFO);
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void stop() {
    logger.detachAppender(logs);
    logger.setLevel(previousLevel);
    limiter.close();
    redis.close();
  }

  private boolean keyInRedis(String key) {
    try (RedisClient c = RedisClient.create("127.0.0.1", redis.port())) {
      return c.exists(RedisRateLimiter.KEY_PREFIX + key);
    }
  }

  private List<ILoggingEvent> events(Level level) {
    return logs.list.stream().filter(e -> e.getLevel() == level).toList();
  }

  @Test
  void aKilledRedisFallsBackToLocalOnceAndRecoversWhenRedisReturns() {
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(keyInRedis("send:alice")).isTrue();
    assertThat(limiter.isFallingBack()).isFalse();

    redis.kill();
    for (int i = 0; i < 20; i++) {
      assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    }
    assertThat(limiter.isFallingBack()).isTrue();
    assertThat(events(Level.WARN)).hasSize(1);
    assertThat(events(Level.WARN).get(0).getFormattedMessage()).contains("this node only");

    redis.start(); // same port, empty
    assertThat(limiter.tryAcquire("send:bob").allowed()).isTrue();
    assertThat(limiter.isFallingBack()).as("no probe before the retry interval").isTrue();
    assertThat(keyInRedis("send:bob")).isFalse();

    ticker.advance(RETRY);
    assertThat(limiter.tryAcquire("send:bob").allowed()).isTrue();
    assertThat(limiter.isFallingBack()).isFalse();
    assertThat(keyInRedis("send:bob")).isTrue();
    assertThat(limiter.tryAcquire("send:carol").allowed()).isTrue();
    assertThat(keyInRedis("send:carol")).isTrue();
    assertThat(events(Level.WARN)).hasSize(1);
    assertThat(events(Level.INFO)).hasSize(1);
    assertThat(events(Level.INFO).get(0).getFormattedMessage()).contains("is back");
  }

  @Test
  void aProbeWhileRedisIsStillDownKeepsTheFallbackAndWaitsAnotherInterval() {
    redis.kill();
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    ticker.advance(RETRY);
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue(); // probe fails, local answers
    assertThat(limiter.isFallingBack()).isTrue();
    redis.start();
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(limiter.isFallingBack()).as("the failed probe restarted the interval").isTrue();
    ticker.advance(RETRY);
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(limiter.isFallingBack()).isFalse();
    assertThat(events(Level.WARN)).hasSize(1);
    assertThat(events(Level.INFO)).hasSize(1);
  }

  @Test
  void aSlowRedisTimesOutQuicklyAndFallsBack() {
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    try (RedisClient admin = RedisClient.create("127.0.0.1", redis.port())) {
      admin.sendCommand(Protocol.Command.CLIENT, "PAUSE", "2000", "ALL");
    }
    long startNanos = System.nanoTime();
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    assertThat(limiter.isFallingBack()).isTrue();
    assertThat(took).isLessThan(Duration.ofMillis(1500));

    // Once the pause is over, the next probe finds Redis again.
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              ticker.advance(RETRY);
              limiter.tryAcquire("send:alice");
              return !limiter.isFallingBack();
            });
    assertThat(events(Level.WARN)).hasSize(1);
    assertThat(events(Level.INFO)).hasSize(1);
  }
}
