package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import spartan.core.Delivery;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisPerClass;

/**
 * What a direct send's round trips carry: the insert returns where the recipient is live, and
 * finished fan-outs drop their pending records in batches, off the sender's path, within a bound
 * past which the sweep does it.
 */
@Timeout(60)
class RedisHotPathTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");
  private static final String PENDING = RedisKeys.direct("d:alice:bob") + RedisKeys.PENDING
      + "d:alice:bob";
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();

  private static Draft direct(String text) {
    return new Draft(
        "alice", Recipient.user("bob"), MessageBody.text(text), T0, null, "d:alice:bob",
        List.of("bob"));
  }

  private RedisChatStore open() {
    RedisChatStore s =
        RedisChatStore.builder().url(redis.url()).sweep(Duration.ofHours(1), Duration.ZERO).build();
    s.createAccount("alice", null, T0);
    s.createAccount("bob", null, T0);
    return s;
  }

  private static long pending() {
    try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
      return j.hlen(PENDING);
    }
  }

  @Test
  void anInsertReturnsTheNodesHoldingTheRecipientsLiveStreams() {
    try (RedisChatStore store = open();
        Jedis j = new Jedis("127.0.0.1", redis.port())) {
      assertThat(store.append(direct("nobody live")).join().liveOn())
          .isEqualTo(Map.of("bob", Set.of()));
      // what a node bus writes: live streams per node; a node whose count fell to 0 is not live
      j.hset(RedisKeys.presence("bob"), Map.of("node-a", "2", "node-b", "0", "node-c", "1"));
      Appended a = store.append(direct("two nodes live")).join();
      assertThat(a.liveOn()).isEqualTo(Map.of("bob", Set.of("node-a", "node-c")));
      assertThat(a.deliveries()).extracting(Delivery::seq).containsExactly(2L);
    }
  }

  @Test
  void aDuplicateSendSaysNothingOfPresence() {
    try (RedisChatStore store = open()) {
      Draft d =
          new Draft("alice", Recipient.user("bob"), MessageBody.text("once"), T0, "c-1",
              "d:alice:bob", List.of("bob"));
      assertThat(store.append(d).join().liveOn()).containsOnlyKeys("bob");
      Appended again = store.append(d).join();
      assertThat(again.duplicate()).isTrue();
      assertThat(again.liveOn()).isNull();
    }
  }

  @Test
  void finishedSendsDropTheirPendingRecordsSoonAfter() {
    try (RedisChatStore store = open()) {
      List<CompletableFuture<Appended>> sent =
          IntStream.range(0, 200).mapToObj(i -> store.append(direct("m" + i))).toList();
      sent.forEach(CompletableFuture::join);
      await().atMost(Duration.ofSeconds(10)).until(() -> pending() == 0);
      assertThat(store.inbox("bob", 0, 500)).hasSize(200);
    }
  }

  @Test
  void pastTheDropBoundPendingRecordsStayForTheSweepAndEachMessageArrivesOnce() {
    try (RedisChatStore store = open()) {
      store.maxQueuedDrops(0); // every drop is refused: the queue holds none
      for (int i = 0; i < 5; i++) {
        assertThat(store.append(direct("m" + i)).join().deliveries()).hasSize(1);
      }
      // Each send finishes (idempotently) and drops the record the one before it left; the
      // last one's waits for the sweep.
      assertThat(pending()).isEqualTo(1);
      store.sweep();
      assertThat(pending()).isZero();
      assertThat(store.inbox("bob", 0, 50))
          .extracting(d -> d.message().text())
          .containsExactly("m0", "m1", "m2", "m3", "m4");
    }
  }
}
