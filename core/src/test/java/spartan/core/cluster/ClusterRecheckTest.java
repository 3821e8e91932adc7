package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.ClusterNodes;
import spartan.core.testing.EventRecorder;

/**
 * A recheck (periodic, or asked for by a node whose news overflowed) compares every local stream
 * with its inbox head: on a node with many users it must cost Redis a few round trips, not one
 * per user, or one overflowing node makes every node hammer Redis.
 */
@Timeout(120)
class ClusterRecheckTest {
  private static final Duration OFF = Duration.ofMinutes(30);
  private static final int USERS = 300;
  private final ExecutorService delivery = Executors.newCachedThreadPool();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    delivery.shutdownNow();
  }

  private static long stat(Jedis j, String section, String name) {
    Matcher m = Pattern.compile(name + ":(\\d+)").matcher(j.info(section));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  @Test
  void aRecheckOfManyStreamsReadsTheirInboxHeadsInAFewRoundTrips() throws Exception {
    String url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    RedisChatStore store =
        RedisChatStore.builder().url(url).sweep(Duration.ofHours(1), Duration.ofHours(1)).build();
    toClose.add(store);
    ClusterNodes c =
        ClusterNodes.start(
            url,
            1,
            LocalChatService.builder().store(store).deliveryExecutor(delivery),
            b -> b.heartbeat(OFF).deadAfter(OFF.multipliedBy(2)).checkEvery(OFF));
    toClose.add(c);
    LocalChatService node = c.node(0);
    for (int i = 0; i < USERS; i++) {
      node.createAccount("u" + i, null);
      Session s = node.login("u" + i, null);
      EventRecorder r = EventRecorder.unbounded();
      s.events(0).subscribe(r);
      r.awaitSubscribed();
    }
    RedisNodeBus bus = c.bus(0);
    byte[] recheck = BusCodec.encode(bus.epoch(), List.of(new BusCodec.Recheck())).get(0);
    try (Jedis j = new Jedis("127.0.0.1", ClusterNodes.sharedRedis().port())) {
      long reads = stat(j, "stats", "total_reads_processed");
      bus.receive(recheck); // as if another node asked: runs the recheck on this thread
      long used = stat(j, "stats", "total_reads_processed") - reads;
      assertThat(used).as("socket reads Redis served for a recheck of %d streams", USERS)
          .isLessThan(USERS / 10);
    }
  }
}
