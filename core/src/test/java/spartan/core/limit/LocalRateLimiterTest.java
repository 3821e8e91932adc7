package spartan.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import spartan.core.limit.RateLimiter.Decision;

class LocalRateLimiterTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void allowsTheBurstThenDeniesWithTheExactRetryDelay() {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(10, 3), ticker);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("send:alice")).isEqualTo(Decision.ALLOWED);
    }
    Decision denied = limiter.tryAcquire("send:alice");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(100));

    ticker.advance(Duration.ofMillis(40));
    assertThat(limiter.tryAcquire("send:alice").retryAfter()).isEqualTo(Duration.ofMillis(60));
    ticker.advance(Duration.ofMillis(60));
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(limiter.tryAcquire("send:alice").retryAfter()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void manyPermitsAtOnceAreAllOrNoneAndNeverMoreThanTheBurst() {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(1000, 1000), ticker);
    assertThat(limiter.tryAcquire("fanout:alice", 1000)).isEqualTo(Decision.ALLOWED);
    Decision denied = limiter.tryAcquire("fanout:alice", 1);
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(1));
    ticker.advance(Duration.ofMillis(500));
    assertThat(limiter.tryAcquire("fanout:alice", 501).allowed()).as("only 500 back").isFalse();
    assertThat(limiter.tryAcquire("fanout:alice", 500)).isEqualTo(Decision.ALLOWED);
    assertThat(limiter.tryAcquire("fanout:bob", 1001).allowed()).as("over the burst").isFalse();
    assertThat(limiter.tryAcquire("fanout:bob", 1000).allowed()).as("the refusal cost nothing").isTrue();
  }

  @Test
  void aDeniedCallCostsNothing() {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(10, 1), ticker);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    for (int i = 0; i < 50; i++) {
      assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    }
    ticker.advance(Duration.ofMillis(100));
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void concurrentCallersNeverShareOutMoreThanTheBudget() throws Exception {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(10, 25), ticker); // time frozen
    java.util.concurrent.atomic.AtomicInteger allowed = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 1000; i++) {
                  if (limiter.tryAcquire("send:alice").allowed()) {
                    allowed.incrementAndGet();
                  }
                }
              });
      th.start();
      threads.add(th);
    }
    go.countDown();
    for (Thread th : threads) {
      th.join(10_000);
    }
    assertThat(allowed.get()).isEqualTo(25);
  }

  @Test
  void keysHaveIndependentBudgets() {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(1, 1), ticker);
    assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    assertThat(limiter.tryAcquire("send:alice").allowed()).isFalse();
    assertThat(limiter.tryAcquire("send:bob").allowed()).isTrue();
  }

  @Test
  void sustainedRateHoldsAndNoOneSecondWindowExceedsRatePlusBurst() {
    RateLimit limit = new RateLimit(15, 5);
    LocalRateLimiter limiter = new LocalRateLimiter(limit, ticker);
    List<Long> accepted = new ArrayList<>();
    long start = ticker.read();
    // One attempt every millisecond for 10 simulated seconds: as fast as a client could.
    for (int ms = 0; ms < 10_000; ms++) {
      if (limiter.tryAcquire("send:alice").allowed()) {
        accepted.add(ticker.read() - start);
      }
      ticker.advance(Duration.ofMillis(1));
    }
    assertThat(maxInAnyWindow(accepted, Duration.ofSeconds(1).toNanos()))
        .isLessThanOrEqualTo(limit.perSecond() + limit.burst());
    // burst at once, then one per interval: 5 + 10 s x 15/s, give or take the last interval.
    assertThat(accepted.size()).isBetween(5 + 149, 5 + 150);
  }

  @Test
  void idleKeysExpireOnceTheirStateEqualsAFreshOne() {
    LocalRateLimiter limiter = new LocalRateLimiter(new RateLimit(10, 3), ticker);
    for (int i = 0; i < 3; i++) {
      limiter.tryAcquire("send:alice");
    }
    assertThat(limiter.keyCount()).isEqualTo(1);
    ticker.advance(Duration.ofMillis(300));
    assertThat(limiter.keyCount()).isZero();
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("send:alice").allowed()).isTrue();
    }
    assertThat(limiter.tryAcquire("send:alice").allowed()).isFalse();
  }

  /** The most timestamps (sorted) within any closed window of {@code width}. */
  static int maxInAnyWindow(List<Long> sorted, long width) {
    int max = 0;
    int lo = 0;
    for (int hi = 0; hi < sorted.size(); hi++) {
      while (sorted.get(hi) - sorted.get(lo) > width) {
        lo++;
      }
      max = Math.max(max, hi - lo + 1);
    }
    return max;
  }
}
