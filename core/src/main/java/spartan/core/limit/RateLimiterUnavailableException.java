package spartan.core.limit;

/**
 * A limiter's backend (Redis) could not answer in time. {@link FailoverRateLimiter} catches it and
 * answers from its local limiter; nothing else should see it. Unchecked, immutable.
 */
public final class RateLimiterUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RateLimiterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
