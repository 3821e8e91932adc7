package spartan.core.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link RateLimiter} for one node: a GCRA per key, each key's theoretical arrival time (TAT)
 * held in a Caffeine cache. Time comes from the injected {@link Ticker}, so tests are exact.
 *
 * <p>An idle key expires once its TAT is in the past — after {@code burst} intervals without a
 * call its state equals a fresh key's, so expiry never changes a decision; it only bounds memory
 * to the keys active in the last {@code burst / perSecond} seconds. A size bound guards against a
 * flood of keys; evicting a live key early would only make the limiter more lenient for it.
 *
 * <p>Thread-safe and lock-free per key (a compare-and-set on the TAT). Never blocks or throws
 * except on a null key.
 */
public final class LocalRateLimiter implements RateLimiter {
  /** Most keys held; far above the users one node serves within a couple of seconds. */
  static final long MAX_KEYS = 1_000_000;

  private final RateLimit limit;
  private final Ticker ticker;
  private final long interval;
  private final long tolerance;
  private final Cache<String, AtomicLong> tats;

  /**
   * @param limit the rate and burst per key
   * @param ticker the time source in nanoseconds; {@link Ticker#systemTicker()} in production
   */
  public LocalRateLimiter(RateLimit limit, Ticker ticker) {
    this.limit = Objects.requireNonNull(limit, "limit");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.interval = limit.intervalNanos();
    this.tolerance = limit.toleranceNanos();
    this.tats =
        Caffeine.newBuilder()
            .ticker(ticker)
            // Maintenance on the calling thread: the core starts no threads of its own.
            .executor(Runnable::run)
            .expireAfterAccess(Duration.ofNanos(tolerance + interval))
            .maximumSize(MAX_KEYS)
            .build();
  }

  @Override
  public Decision tryAcquire(String key) {
    Objects.requireNonNull(key, "key");
    AtomicLong tat = tats.get(key, k -> new AtomicLong(Long.MIN_VALUE));
    while (true) {
      long now = ticker.read();
      long current = tat.get();
      long base = Math.max(current, now);
      long ahead = base - now;
      if (ahead > tolerance) {
        return Decision.denied(Duration.ofNanos(ahead - tolerance));
      }
      if (tat.compareAndSet(current, base + interval)) {
        return Decision.ALLOWED;
      }
    }
  }

  /**
   * Takes {@code permits} permits at once under {@code key}, all or none: allowed when the last of
   * them fits the burst now. More permits than the burst are never allowed.
   *
   * @throws IllegalArgumentException if {@code permits} is not positive
   */
  public Decision tryAcquire(String key, int permits) {
    Objects.requireNonNull(key, "key");
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be positive, was " + permits);
    }
    AtomicLong tat = tats.get(key, k -> new AtomicLong(Long.MIN_VALUE));
    long extra = (permits - 1) * interval;
    while (true) {
      long now = ticker.read();
      long current = tat.get();
      long base = Math.max(current, now);
      long ahead = base + extra - now;
      if (ahead > tolerance) {
        return Decision.denied(Duration.ofNanos(ahead - tolerance));
      }
      if (tat.compareAndSet(current, base + extra + interval)) {
        return Decision.ALLOWED;
      }
    }
  }

  @Override
  public RateLimit limit() {
    return limit;
  }

  /** Keys currently held (approximate), for tests and metrics. */
  public long keyCount() {
    tats.cleanUp();
    return tats.estimatedSize();
  }

  @Override
  public void close() {
    tats.invalidateAll();
  }

  @Override
  public String toString() {
    return "LocalRateLimiter[" + limit + "]";
  }
}
