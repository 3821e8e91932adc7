package spartan.core;

import java.time.Duration;
import java.util.Objects;

/**
 * The one domain failure. Every API method reports failures only through this unchecked
 * exception, whose {@link #code()} is stable across bindings: a call that fails in-process with
 * {@link ErrorCode#NOT_FOUND} fails with the same code over gRPC and over the socket transport.
 *
 * <p>The message is meant for the person at the client and never includes a cause or stack trace
 * from the serving side. Instances are immutable and thread-safe.
 */
public final class ChatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final Duration retryAfter;

  private ChatException(ErrorCode code, String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.retryAfter = retryAfter;
  }

  public ChatException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public ChatException(ErrorCode code, String message, Throwable cause) {
    this(code, message, null, cause);
  }

  public static ChatException invalid(String message) {
    return new ChatException(ErrorCode.INVALID_ARGUMENT, message);
  }

  public static ChatException notFound(String message) {
    return new ChatException(ErrorCode.NOT_FOUND, message);
  }

  public static ChatException unauthenticated(String message) {
    return new ChatException(ErrorCode.UNAUTHENTICATED, message);
  }

  public static ChatException denied(String message) {
    return new ChatException(ErrorCode.PERMISSION_DENIED, message);
  }

  public static ChatException exists(String message) {
    return new ChatException(ErrorCode.ALREADY_EXISTS, message);
  }

  public static ChatException unavailable(String message) {
    return new ChatException(ErrorCode.UNAVAILABLE, message);
  }

  /**
   * The exact message of the {@link ErrorCode#UNAVAILABLE} failure that ends every session when
   * the shared data was lost (Redis restarted empty): the session, its inbox sequences and its
   * acks are gone, so a client logs in again and starts its sequence cursor afresh instead of
   * resuming. Both wires carry it unchanged (PROTOCOL.md), so clients can tell it apart from an
   * ordinary outage with {@link #isDataReset()}.
   */
  public static final String DATA_RESET = "server data was reset; log in again";

  /** The failure that ends sessions whose shared data was lost: see {@link #DATA_RESET}. */
  public static ChatException dataReset() {
    return new ChatException(ErrorCode.UNAVAILABLE, DATA_RESET);
  }

  /** Whether this is the {@link #DATA_RESET} failure: sessions and sequences start afresh. */
  public boolean isDataReset() {
    return code == ErrorCode.UNAVAILABLE && DATA_RESET.equals(getMessage());
  }

  /**
   * A rate-limit failure; {@code retryAfter} is how long the caller should wait. A zero or
   * negative wait becomes {@link #MIN_RETRY_AFTER}: a refusal that says "retry now" would be
   * refused again.
   */
  public static ChatException rateLimited(Duration retryAfter) {
    Duration wait = atLeastMinimum(retryAfter);
    return new ChatException(
        ErrorCode.RATE_LIMITED,
        // Rounded up to a tenth: "0.0 s" would tell the person to retry at once and fail again.
        String.format(
            java.util.Locale.ROOT,
            "Rate limited — try again in %.1f s.",
            Math.ceil(wait.toNanos() / 100_000_000.0) / 10.0),
        wait,
        null);
  }

  /**
   * Rebuilds a rate-limit failure received from a remote peer, keeping its message; a missing,
   * zero or negative wait becomes {@link #MIN_RETRY_AFTER}.
   */
  public static ChatException rateLimited(String message, Duration retryAfter) {
    return new ChatException(
        ErrorCode.RATE_LIMITED,
        message,
        atLeastMinimum(retryAfter == null ? Duration.ZERO : retryAfter),
        null);
  }

  /** The shortest wait a rate-limit failure states. */
  public static final Duration MIN_RETRY_AFTER = Duration.ofMillis(1);

  private static Duration atLeastMinimum(Duration wait) {
    return wait.compareTo(MIN_RETRY_AFTER) < 0 ? MIN_RETRY_AFTER : wait;
  }

  public ErrorCode code() {
    return code;
  }

  /**
   * How long to wait before retrying: for {@link ErrorCode#RATE_LIMITED} at least {@link
   * #MIN_RETRY_AFTER}, otherwise null.
   */
  public Duration retryAfter() {
    return retryAfter;
  }

  /**
   * {@link #retryAfter()} in whole milliseconds for a wire, rounded up and at least 1 (a wait of
   * 0 would tell the client to retry at once and be refused again); 0 when there is none.
   */
  public long retryAfterMillis() {
    if (retryAfter == null) {
      return 0;
    }
    long nanos = retryAfter.isNegative() ? 0 : retryAfter.toNanos();
    return Math.max(1, (nanos + 999_999) / 1_000_000);
  }

  /** Wraps anything that is not already a {@code ChatException} as {@link ErrorCode#INTERNAL}. */
  public static ChatException wrap(Throwable t) {
    if (t instanceof ChatException e) {
      return e;
    }
    if (t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) {
      if (t.getCause() != null) {
        return wrap(t.getCause());
      }
    }
    return new ChatException(ErrorCode.INTERNAL, "internal error", t);
  }
}
