package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.testing.ClusterNodes;
import spartan.core.testing.MutableClock;

class RedisChatRequestsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private RedisClient redis;
  private RedisChatRequests requests;

  @BeforeEach
  void fresh() {
    String url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    redis = RedisClient.create(url);
    requests = new RedisChatRequests(redis, clock);
  }

  @AfterEach
  void close() {
    redis.close();
  }

  @Test
  void aRequestIsSharedAnsweredOnceAndAskingAgainMovesItLast() {
    requests.add("alice", "bob");
    requests.add("carl", "bob");
    requests.add("alice", "bob");
    assertThat(requests.pendingFor("bob")).containsExactly("carl", "alice");
    assertThat(requests.remove("alice", "bob")).isTrue();
    assertThat(requests.remove("alice", "bob")).isFalse();
  }

  @Test
  void twoNodesAnsweringOneRequestAtOnceAnswerItOnce() throws Exception {
    // bob answers on two nodes at the same moment: the requester must hear one answer
    java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      int answeredTwice = 0;
      for (int i = 0; i < 300; i++) {
        requests.add("alice", "bob");
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.Callable<Boolean> answer =
            () -> {
              together.await();
              return requests.remove("alice", "bob");
            };
        var a = two.submit(answer);
        var b = two.submit(answer);
        int yes = (a.get() ? 1 : 0) + (b.get() ? 1 : 0);
        assertThat(yes).isGreaterThanOrEqualTo(1);
        answeredTwice += yes - 1;
      }
      assertThat(answeredTwice).isZero();
    } finally {
      two.shutdownNow();
    }
  }

  @Test
  void aTargetHoldsAtMostTheBoundTheOldestGoingFirst() {
    List<String> askers = new ArrayList<>();
    for (int i = 0; i < RedisChatRequests.MAX_PER_TARGET + 10; i++) {
      clock.advance(Duration.ofMillis(1));
      requests.add("u" + i, "bob");
      askers.add("u" + i);
    }
    assertThat(requests.pendingFor("bob"))
        .hasSize(RedisChatRequests.MAX_PER_TARGET)
        .isEqualTo(askers.subList(10, askers.size()));
  }

  @Test
  void requestsExpireAfterADay() {
    requests.add("alice", "bob");
    clock.advance(Duration.ofMillis(RedisChatRequests.TTL_MS + 1));
    assertThat(requests.pendingFor("bob")).isEmpty();
    requests.add("carl", "bob");
    clock.advance(Duration.ofMillis(RedisChatRequests.TTL_MS + 1));
    assertThat(requests.remove("carl", "bob")).isFalse();
  }

  @Test
  void forgettingAUserWithdrawsItsRequestsAndDropsThoseToIt() {
    requests.add("alice", "bob");
    requests.add("alice", "carl");
    requests.add("carl", "alice");
    requests.forget("alice");
    assertThat(requests.pendingFor("bob")).isEmpty();
    assertThat(requests.pendingFor("carl")).isEmpty();
    assertThat(requests.pendingFor("alice")).isEmpty();
  }

  @Test
  void theSetOfUsersOneRequesterAskedIsBounded() {
    for (int i = 0; i < RedisChatRequests.MAX_ASKED + 50; i++) {
      requests.add("alice", "u" + i);
    }
    assertThat(redis.scard("sp:{u:alice}:asked")).isEqualTo(RedisChatRequests.MAX_ASKED);
  }

  @Test
  void anUnreachableRedisIsUnavailableForChangesAndEmptyForReminders() {
    RedisClient dead = RedisClient.create("redis://127.0.0.1:1");
    RedisChatRequests down = new RedisChatRequests(dead, clock);
    assertThatThrownBy(() -> down.add("alice", "bob"))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThat(down.pendingFor("bob")).isEmpty();
    dead.close();
  }
}
