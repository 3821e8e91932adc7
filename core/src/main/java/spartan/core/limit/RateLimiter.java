package spartan.core.limit;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Decides whether one more call under a key (a user's budget, e.g. {@code "send:alice"}) may go
 * ahead now. Every implementation is a GCRA — the generic cell rate algorithm, an exact token
 * bucket kept as one timestamp per key — with a sustained {@link RateLimit#perSecond() rate} and
 * a {@link RateLimit#burst() burst}, so over any one-second window at most {@code perSecond +
 * burst} calls under one key are allowed.
 *
 * <p>Implementations are thread-safe. {@link #tryAcquire} never blocks beyond a bounded network
 * timeout (for a Redis-backed limiter) and never throws for an unreachable backend: a limiter that
 * cannot reach its backend reports it through its own type ({@link RedisRateLimiter} throws
 * {@link RateLimiterUnavailableException}; the {@link FailoverRateLimiter} built by {@link
 * #builder()} falls back to a local limiter instead). Keys are non-null. Build one with {@link
 * #builder()}.
 */
public interface RateLimiter extends AutoCloseable {

  /**
   * Takes one permit under {@code key} if the budget allows it now.
   *
   * @return {@link Decision#ALLOWED}, or a denial carrying how long until a permit is available
   * @throws NullPointerException if {@code key} is null
   */
  Decision tryAcquire(String key);

  /**
   * {@link #tryAcquire}, answered through a future so the caller need not wait: a limiter that asks
   * a remote backend (Redis) completes it later, from its own thread, which must not be made to
   * run anything slow; the default, right for a limiter that answers at once, completes it
   * before returning. The future fails with what {@link #tryAcquire} would throw.
   *
   * @throws NullPointerException if {@code key} is null
   */
  default CompletableFuture<Decision> acquireAsync(String key) {
    Objects.requireNonNull(key, "key");
    try {
      return CompletableFuture.completedFuture(tryAcquire(key));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The rate and burst this limiter enforces. */
  RateLimit limit();

  /** Releases connections, if any. Idempotent. */
  @Override
  void close();

  /** A builder validating the configuration eagerly; see {@link RateLimiterBuilder}. */
  static RateLimiterBuilder builder() {
    return new RateLimiterBuilder();
  }

  /**
   * The answer to one {@link #tryAcquire}: allowed, or denied with the delay after which a retry
   * will be allowed (assuming no other call under the key takes the permit first).
   */
  record Decision(boolean allowed, Duration retryAfter) {
    /** The one allowed decision; allocation-free on the fast path. */
    public static final Decision ALLOWED = new Decision(true, Duration.ZERO);

    public Decision {
      Objects.requireNonNull(retryAfter, "retryAfter");
      if (retryAfter.isNegative()) {
        throw new IllegalArgumentException("retryAfter must not be negative");
      }
    }

    /** A denial; {@code retryAfter} is clamped to at least one microsecond so it is never zero. */
    public static Decision denied(Duration retryAfter) {
      Duration wait = retryAfter.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : retryAfter;
      return new Decision(false, wait);
    }

    private static final Duration MIN_WAIT = Duration.ofNanos(1000);
  }
}
