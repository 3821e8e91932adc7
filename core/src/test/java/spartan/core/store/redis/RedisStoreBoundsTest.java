package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.GroupPolicy;
import spartan.core.Limits;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisPerClass;

/** What the Redis store refuses rather than hold without bound, and that it says so. */
@Timeout(60)
class RedisStoreBoundsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();

  private static Draft direct(String text) {
    return new Draft(
        "alice", Recipient.user("bob"), MessageBody.text(text), T0, null, "d:alice:bob",
        List.of("bob"));
  }

  private static void assertUnavailable(CompletableFuture<Appended> f, String message) {
    assertThatThrownBy(f::join)
        .cause()
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void appendsBeyondTheQueueBoundAreRefusedAtOnce() throws Exception {
    ScheduledThreadPoolExecutor one = new ScheduledThreadPoolExecutor(1);
    CountDownLatch release = new CountDownLatch(1);
    try (RedisChatStore store =
        RedisChatStore.builder().url(redis.url()).executor(one).maxQueued(2).build()) {
      store.createAccount("alice", null, T0);
      store.createAccount("bob", null, T0);
      one.execute(() -> awaitQuietly(release)); // the store's only thread is busy
      CompletableFuture<Appended> first = store.append(direct("1"));
      CompletableFuture<Appended> second = store.append(direct("2"));
      assertUnavailable(store.append(direct("3")), "busy");
      release.countDown();
      assertThat(first.join().deliveries()).hasSize(1);
      assertThat(second.join().deliveries()).hasSize(1);
      assertThat(store.append(direct("4")).join().deliveries()).hasSize(1);
    } finally {
      one.shutdownNow();
      one.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void appendsBeyondTheByteBoundAreRefusedSoASlowRedisCannotGrowTheHeap() throws Exception {
    ScheduledThreadPoolExecutor one = new ScheduledThreadPoolExecutor(1);
    CountDownLatch release = new CountDownLatch(1);
    long budget = 1 << 20;
    try (RedisChatStore store =
        RedisChatStore.builder()
            .url(redis.url())
            .executor(one)
            .maxQueuedBytes(budget)
            .build()) {
      store.createAccount("alice", null, T0);
      store.createAccount("bob", null, T0);
      one.execute(() -> awaitQuietly(release)); // Redis (the store's only thread) is stuck
      byte[] envelope = new byte[40_960];
      List<CompletableFuture<Appended>> sent = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        sent.add(
            store.append(
                new Draft("alice", Recipient.user("bob"), MessageBody.sealed(envelope), T0,
                    null, "d:alice:bob", List.of("bob"))));
        assertThat(store.queuedBytes()).isLessThanOrEqualTo(budget);
      }
      List<CompletableFuture<Appended>> refused =
          sent.stream().filter(CompletableFuture::isDone).toList();
      // 200 envelopes of 40 KiB are 8 MiB; the budget holds about a dozen of them
      assertThat(refused).hasSizeGreaterThan(180);
      refused.forEach(f -> assertUnavailable(f, "busy"));
      release.countDown();
      for (CompletableFuture<Appended> f : sent) {
        if (!refused.contains(f)) {
          assertThat(f.join().deliveries()).hasSize(1);
        }
      }
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(store.queuedBytes()).isZero());
      assertThat(store.append(direct("after")).join().deliveries()).hasSize(1);
    } finally {
      one.shutdownNow();
      one.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static long calls(Jedis j, String command) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("cmdstat_" + command + ":calls=(\\d+)")
            .matcher(j.info("commandstats"));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  @Test
  void aWildcardListingOfAHugeIndexStopsEarlyWithACursorAndFollowingItFindsEveryMatch() {
    java.util.concurrent.ExecutorService delivery = java.util.concurrent.Executors.newCachedThreadPool();
    try (RedisChatStore store = RedisChatStore.builder().url(redis.url()).build();
        spartan.core.service.LocalChatService service =
            spartan.core.service.LocalChatService.builder()
                .store(store)
                .deliveryExecutor(delivery)
                .build();
        Jedis j = new Jedis("127.0.0.1", redis.port())) {
      service.createAccount("alice", null);
      // 60,000 names as a listing sees them (the index), then two accounts at its end
      try (redis.clients.jedis.Pipeline p = j.pipelined()) {
        for (int i = 0; i < 60_000; i++) {
          p.zadd(RedisKeys.ACCOUNTS, 0, String.format("u%05d", i));
        }
        p.sync();
      }
      service.createAccount("zz1", null);
      service.createAccount("zz2", null);
      spartan.core.Session alice = service.login("alice", null);

      j.configResetStat();
      spartan.core.Page<spartan.core.Account> page = alice.listAccounts("*zz*", null, 10);
      assertThat(calls(j, "zrangebylex"))
          .as("one call reads a bounded part of the index")
          .isLessThanOrEqualTo(RedisChatStore.PAGE_SCAN / 1_000 + 1);
      assertThat(page.items()).isEmpty();
      assertThat(page.next()).as("stopped early: more to look at").isNotNull();

      List<String> found = new java.util.ArrayList<>();
      int pages = 1;
      while (true) {
        page.items().forEach(a -> found.add(a.user()));
        if (page.next() == null) {
          break;
        }
        page = alice.listAccounts("*zz*", page.next(), 10);
        pages++;
      }
      assertThat(found).containsExactly("zz1", "zz2");
      assertThat(pages).isBetween(6, 8);
      // a listing with a literal prefix reads only its range, whatever the index holds
      j.configResetStat();
      assertThat(alice.listAccounts("zz*", null, 10).items())
          .extracting(spartan.core.Account::user)
          .containsExactly("zz1", "zz2");
      assertThat(calls(j, "zrangebylex")).isEqualTo(1);
    } finally {
      delivery.shutdownNow();
    }
  }

  @Test
  void aConversationWithTooManyUnfinishedFanOutsRefusesMoreUntilTheyAreDone() {
    try (RedisChatStore store =
        RedisChatStore.builder()
            .url(redis.url())
            .sweep(Duration.ofHours(1), Duration.ZERO)
            .build()) {
      store.createAccount("alice", null, T0);
      store.createAccount("bob", null, T0);
      store.maxPendingFanOuts(3);
      store.stopFanOutAfter(0);
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(store.append(direct("stuck " + i))::join).hasMessageContaining("internal");
      }
      assertUnavailable(store.append(direct("one too many")), "unfinished");
      store.stopFanOutAfter(-1);
      store.sweep();
      assertThat(store.append(direct("after")).join().deliveries()).hasSize(1);
      assertThat(store.inbox("bob", 0, 10))
          .extracting(d -> d.message().text())
          .containsExactly("stuck 0", "stuck 1", "stuck 2", "after");
    }
  }

  @Test
  void tooManyInviteesAtOnceAreRefusedBeforeAnyIsInvited() {
    try (RedisChatStore store = RedisChatStore.builder().url(redis.url()).build()) {
      store.createAccount("alice", null, T0);
      store.createGroup("team", "alice", GroupPolicy.PRIVATE, T0);
      List<String> many =
          IntStream.rangeClosed(0, Limits.MAX_INVITES_PER_CALL).mapToObj(i -> "u" + i).toList();
      assertThatThrownBy(() -> store.invite("team", many, "alice", T0, 10_000))
          .isInstanceOf(ChatException.class)
          .hasMessageContaining("At most " + Limits.MAX_INVITES_PER_CALL);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
