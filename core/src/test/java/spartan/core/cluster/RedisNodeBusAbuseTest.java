package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import spartan.core.ChatEvent;
import spartan.core.GroupPolicy;
import spartan.core.spi.NodeBus;
import spartan.core.testing.ClusterNodes;

/** What a hostile client, or a slow Redis, can make one node's bus hold or advertise. */
@Timeout(60)
class RedisNodeBusAbuseTest {
  private static final Duration OFF = Duration.ofMinutes(30);

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final CountDownLatch release = new CountDownLatch(1);
  private String url;
  private RedisClient redis;
  private RedisNodeBus bus;

  @BeforeEach
  void start() {
    url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    redis = RedisClient.create(url);
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    if (bus != null) {
      bus.close();
    }
    scheduler.shutdownNow();
    scheduler.awaitTermination(5, TimeUnit.SECONDS);
    redis.close();
  }

  private RedisNodeBus bus(int maxQueued) {
    bus =
        RedisNodeBus.builder()
            .redis(url, Duration.ofSeconds(2))
            .nodeId("a")
            .heartbeat(OFF)
            .deadAfter(OFF.multipliedBy(2))
            .checkEvery(OFF)
            .maxQueued(maxQueued)
            .scheduler(scheduler)
            .threads(Thread::new)
            .build();
    bus.attach(new Quiet());
    bus.start(Duration.ofSeconds(5));
    return bus;
  }

  /** Runs everything the scheduler had queued before this call. */
  private void drainScheduler() throws Exception {
    scheduler.submit(() -> {}).get(5, TimeUnit.SECONDS);
  }

  @Test
  void groupEventsQueuedForASlowRedisAreBoundedInNotesNotOnlyInItems() throws Exception {
    RedisNodeBus a = bus(2_000);
    // 1,000 members with live streams on node b
    List<String> members = IntStream.range(0, 1_000).mapToObj(i -> "m" + i).toList();
    try (AbstractPipeline p = redis.pipelined()) {
      for (String m : members) {
        p.hset("sp:{u:" + m + "}:nodes", "b", "1");
      }
      p.sync();
    }
    scheduler.execute(this::awaitRelease); // the publisher cannot run, as behind a slow Redis
    for (int i = 0; i < 50; i++) {
      // one role change in a full group tells every member: one queue item, 1,000 notes
      a.tell(members, new ChatEvent.PolicyChanged("g", GroupPolicy.PRIVATE, "owner"));
      assertThat(a.queuedNotes()).isLessThanOrEqualTo(2_000);
    }
    release.countDown();
    await().untilAsserted(() -> assertThat(a.queuedNotes()).isZero());
  }

  @Test
  void aStreamClosedBeforeItsOpenWasCountedIsNotAdvertisedForever() throws Exception {
    RedisNodeBus a = bus(100);
    // A session ended while its stream was being opened: the close is counted first.
    a.streamClosed("alice");
    drainScheduler(); // its presence write ran
    a.streamOpened("alice");
    drainScheduler();
    assertThat(redis.hgetAll("sp:{u:alice}:nodes")).isEmpty();
    assertThat(redis.smembers("sp:node:a:users")).isEmpty();
    // and a real stream afterwards is advertised, and withdrawn when it closes
    a.streamOpened("alice");
    assertThat(redis.hgetAll("sp:{u:alice}:nodes")).isEqualTo(Map.of("a", "1"));
    a.streamClosed("alice");
    drainScheduler();
    assertThat(redis.hgetAll("sp:{u:alice}:nodes")).isEmpty();
  }

  @Test
  void aMalformedRedisUrlIsRefusedWithoutQuotingItsPassword() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                RedisNodeBus.builder()
                    .redis("redis://spartan:s3cret pass@localhost:6379", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cluster.redis")
        .hasMessageNotContaining("s3cret");
  }

  private void awaitRelease() {
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Quiet implements NodeBus.Node {
    @Override
    public void storedUpTo(Map<String, Long> tips) {}

    @Override
    public void tell(String user, ChatEvent event) {}

    @Override
    public void accountDeleted(String user) {}

    @Override
    public void recheck() {}

    @Override
    public Set<String> users() {
      return Set.of();
    }

    @Override
    public void reset(String reason) {}
  }
}
