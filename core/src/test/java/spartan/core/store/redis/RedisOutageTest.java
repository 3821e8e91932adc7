package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisProcess;

/**
 * Redis killed in the middle of a burst of sends: nothing unstored is acknowledged, everything
 * acknowledged survives (AOF with fsync on every write), the store serves again by itself once
 * Redis is back, and resending what failed, with the same client ids, leaves each message in the
 * inbox exactly once.
 */
@Timeout(120)
class RedisOutageTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");

  @TempDir Path dir;

  private static Draft direct(int i) {
    return new Draft(
        "alice",
        Recipient.user("bob"),
        MessageBody.text("m" + i),
        T0,
        "c-" + i,
        "d:alice:bob",
        List.of("bob"));
  }

  @Test
  void redisKilledMidBurstLosesNoAcknowledgedMessageAndResendsLandOnce() throws Exception {
    try (RedisProcess redis = RedisProcess.startDurableOnFreePort(dir);
        RedisChatStore store =
            RedisChatStore.builder()
                .url(redis.url())
                .timeout(Duration.ofMillis(500))
                .sweep(Duration.ofMillis(200), Duration.ZERO)
                .build()) {
      store.createAccount("alice", null, T0);
      store.createAccount("bob", null, T0);

      int total = 1000;
      CountDownLatch someDone = new CountDownLatch(50);
      List<CompletableFuture<Appended>> burst = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        CompletableFuture<Appended> f = store.append(direct(i));
        f.whenComplete((a, e) -> someDone.countDown());
        burst.add(f);
      }
      assertThat(someDone.await(30, TimeUnit.SECONDS)).isTrue();
      redis.kill();

      Map<Integer, Long> acknowledged = new TreeMap<>();
      List<Integer> failed = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        try {
          acknowledged.put(i, burst.get(i).join().deliveries().get(0).seq());
        } catch (CompletionException e) {
          assertThat(e.getCause()).isInstanceOf(ChatException.class);
          assertThat(((ChatException) e.getCause()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
          failed.add(i);
        }
      }
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(50);
      assertThat(failed).as("Redis died before the burst was over").isNotEmpty();

      redis.start(); // same port, same AOF
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .untilAsserted(() -> assertThat(store.lastSeq("bob")).isPositive());
      Map<Long, String> inbox =
          store.inbox("bob", 0, 10_000).stream()
              .collect(Collectors.toMap(Delivery::seq, d -> d.message().text()));
      acknowledged.forEach(
          (i, seq) -> assertThat(inbox.get(seq)).as("acknowledged m%d", i).isEqualTo("m" + i));

      for (int i : failed) {
        Appended again = store.append(direct(i)).join();
        assertThat(again.message().text()).isEqualTo("m" + i);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(store.inbox("bob", 0, 10_000))
                      .extracting(d -> d.message().text())
                      .as("every message once")
                      .hasSize(total)
                      .doesNotHaveDuplicates());
      assertThat(store.history("d:alice:bob", 0, 5000)).hasSize(total);
    }
  }

  @Test
  void withRedisDownEveryOperationIsUnavailableAndTheStoreRecoversByItself() {
    try (RedisProcess redis = RedisProcess.startOnFreePort();
        RedisChatStore store =
            RedisChatStore.builder().url(redis.url()).timeout(Duration.ofMillis(300)).build()) {
      store.createAccount("alice", null, T0);
      store.createAccount("bob", null, T0);
      redis.stop();
      assertUnavailable(() -> store.findAccount("alice"));
      assertUnavailable(() -> store.append(direct(1)).join());
      assertUnavailable(() -> store.inbox("bob", 0, 10));
      redis.start(); // empty, but serving
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> store.findAccount("alice").isEmpty());
      store.createAccount("bob", null, T0);
      store.createAccount("alice", null, T0);
      assertThat(store.append(direct(2)).join().deliveries()).hasSize(1);
    }
  }

  private static void assertUnavailable(Runnable op) {
    try {
      op.run();
      throw new AssertionError("expected UNAVAILABLE");
    } catch (CompletionException e) {
      assertThat(((ChatException) e.getCause()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    } catch (ChatException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    }
  }
}
