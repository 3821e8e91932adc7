package spartan.server;

import java.util.concurrent.CompletableFuture;
import spartan.core.limit.RateLimit;
import spartan.core.limit.RateLimiter;

/**
 * A rate limiter that counts its refusals in the metrics and otherwise is the limiter it wraps.
 * The decorator refuses a call exactly when its limiter denies the permit, so counting denials
 * here counts refusals without a hook in the decorator.
 */
final class MeteredRateLimiter implements RateLimiter {
  private final RateLimiter target;
  private final ServerMetrics metrics;

  MeteredRateLimiter(RateLimiter target, ServerMetrics metrics) {
    this.target = target;
    this.metrics = metrics;
  }

  @Override
  public Decision tryAcquire(String key) {
    return counted(target.tryAcquire(key));
  }

  @Override
  public CompletableFuture<Decision> acquireAsync(String key) {
    CompletableFuture<Decision> d = target.acquireAsync(key);
    if (d.isDone() && !d.isCompletedExceptionally()) {
      counted(d.join()); // the usual local answer: no extra stage on the fast path
      return d;
    }
    return d.thenApply(this::counted);
  }

  private Decision counted(Decision d) {
    if (!d.allowed()) {
      metrics.rateLimited();
    }
    return d;
  }

  @Override
  public RateLimit limit() {
    return target.limit();
  }

  @Override
  public void close() {
    target.close();
  }

  @Override
  public String toString() {
    return target.toString();
  }
}
