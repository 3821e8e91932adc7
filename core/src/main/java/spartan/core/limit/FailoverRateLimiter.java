package spartan.core.limit;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared (Redis) limiter with a local one to fall back on, behind a circuit breaker. While the
 * primary answers, every check goes to it. The first failure opens the breaker: that check and
 * all later ones are answered by the local limiter, and one WARN says so. Once {@code
 * retryInterval} has passed, exactly one check probes the primary (the others keep using the
 * local limiter meanwhile); if it answers, the breaker closes and one INFO says so, else the next
 * probe waits another interval. So a dead Redis costs at most one short timeout per interval.
 *
 * <p>During a fallback each node limits on its own, so a user reaching several nodes may get up
 * to that many times the limit; that is the price of staying up.
 *
 * <p>Hand-written rather than a circuit-breaker library: this is a two-state breaker with a single
 * probe, smaller than the configuration a library would need, and core keeps its dependencies
 * few. Thread-safe; never throws for a backend failure.
 */
public final class FailoverRateLimiter implements RateLimiter {
  private static final Logger log = LoggerFactory.getLogger(FailoverRateLimiter.class);

  private final RateLimiter primary;
  private final RateLimiter fallback;
  private final Ticker ticker;
  private final long retryNanos;

  private final AtomicBoolean open = new AtomicBoolean();
  private final AtomicBoolean probing = new AtomicBoolean();
  private volatile long openedAt;

  /**
   * @param primary the shared limiter; its checks may fail with {@link
   *     RateLimiterUnavailableException}
   * @param fallback the local limiter used while the primary is down; must not throw
   * @param ticker time for the retry interval
   * @param retryInterval how long to wait before probing the primary again; positive
   */
  public FailoverRateLimiter(
      RateLimiter primary, RateLimiter fallback, Ticker ticker, Duration retryInterval) {
    this.primary = Objects.requireNonNull(primary, "primary");
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    if (retryInterval.isNegative() || retryInterval.isZero()) {
      throw new IllegalArgumentException("rateLimit.redisRetryInterval must be positive");
    }
    this.retryNanos = retryInterval.toNanos();
  }

  /**
   * Asks the primary with its own {@link RateLimiter#tryAcquire}, so the wait is the primary's
   * bounded one; the answer is in before this returns.
   */
  @Override
  public Decision tryAcquire(String key) {
    // A primary's failure is answered by the fallback, so only a bug surfaces here.
    try {
      return decide(key, this::askPrimaryNow).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private CompletableFuture<Decision> askPrimaryNow(String key) {
    try {
      return CompletableFuture.completedFuture(primary.tryAcquire(key));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Asks the primary, or the fallback while the breaker is open. A primary's answer, or its
   * failure turned into the fallback's answer, completes the future on the primary's thread.
   */
  @Override
  public CompletableFuture<Decision> acquireAsync(String key) {
    return decide(key, primary::acquireAsync);
  }

  /** The breaker: {@code ask} puts the question to the primary. */
  private CompletableFuture<Decision> decide(
      String key, Function<String, CompletableFuture<Decision>> ask) {
    Objects.requireNonNull(key, "key");
    if (!open.get()) {
      return ask.apply(key)
          .exceptionally(
              e -> {
                trip(unavailable(e));
                return fallback.tryAcquire(key);
              });
    }
    if (ticker.read() - openedAt >= retryNanos && probing.compareAndSet(false, true)) {
      return ask.apply(key)
          .handle(
              (d, e) -> {
                try {
                  if (e == null) {
                    if (open.compareAndSet(true, false)) {
                      log.info("Rate limiter: {} is back; limiting across nodes again.", primary);
                    }
                    return d;
                  }
                  openedAt = ticker.read();
                  log.debug(
                      "Rate limiter: probe of {} failed: {}", primary, unavailable(e).getMessage());
                  return fallback.tryAcquire(key);
                } finally {
                  probing.set(false);
                }
              });
    }
    return CompletableFuture.completedFuture(fallback.tryAcquire(key));
  }

  /** The primary's failure; anything but {@link RateLimiterUnavailableException} is a bug there. */
  private static RateLimiterUnavailableException unavailable(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof RateLimiterUnavailableException u) {
      return u;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    throw new CompletionException(cause);
  }

  private void trip(RateLimiterUnavailableException e) {
    openedAt = ticker.read();
    if (open.compareAndSet(false, true)) {
      log.warn(
          "Rate limiter: {} ({}); limiting on this node only until it is back.",
          e.getMessage(),
          e.getCause() == null ? "no cause" : e.getCause().getMessage());
    }
  }

  /** The shared limiter, for tests that need it without the fallback. */
  RedisRateLimiter primaryForTests() {
    return (RedisRateLimiter) primary;
  }

  /** Whether checks are currently answered by the local fallback. */
  public boolean isFallingBack() {
    return open.get();
  }

  @Override
  public RateLimit limit() {
    return primary.limit();
  }

  @Override
  public void close() {
    try {
      primary.close();
    } finally {
      fallback.close();
    }
  }

  @Override
  public String toString() {
    return "FailoverRateLimiter[" + primary + ", else " + fallback + "]";
  }
}
