package spartan.transport.socket.wire;

import spartan.core.ErrorCode;

/**
 * The one place where core {@link ErrorCode}s meet the socket protocol's {@code error.code}
 * strings, in both directions, so the server and the connector cannot drift apart.
 */
public final class WireCodes {
  /** Not JSON, not an object, or no {@code op}. */
  public static final String BAD_REQUEST = "bad_request";

  /** An {@code op} this server does not know. */
  public static final String UNKNOWN_OP = "unknown_op";

  /** A line longer than the server accepts; the server closes the connection after saying so. */
  public static final String FRAME_TOO_LARGE = "frame_too_large";

  /**
   * The client sent more than the server will hold while it does not read the replies; the server
   * closes the connection after saying so.
   */
  public static final String SLOW_CONSUMER = "slow_consumer";

  /** Nothing arrived for two keep-alive periods (no answer to a {@code ping}); closed after. */
  public static final String IDLE_TIMEOUT = "idle_timeout";

  private WireCodes() {}

  public static String toWire(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT -> "invalid_argument";
      case UNAUTHENTICATED -> "unauthenticated";
      case PERMISSION_DENIED -> "permission_denied";
      case NOT_FOUND -> "not_found";
      case ALREADY_EXISTS -> "already_exists";
      case RATE_LIMITED -> "rate_limited";
      case UNAVAILABLE -> "unavailable";
      case INTERNAL -> "internal";
    };
  }

  /**
   * The core code for a wire code. The transport-only codes are all the client's fault, so they
   * read as {@code INVALID_ARGUMENT}; a code this side does not know (a newer server) reads as
   * {@code INTERNAL}.
   */
  public static ErrorCode fromWire(String code) {
    if (code == null) {
      return ErrorCode.INTERNAL;
    }
    return switch (code) {
      case "invalid_argument", BAD_REQUEST, UNKNOWN_OP, FRAME_TOO_LARGE, SLOW_CONSUMER ->
          ErrorCode.INVALID_ARGUMENT;
      case IDLE_TIMEOUT -> ErrorCode.UNAVAILABLE;
      case "unauthenticated" -> ErrorCode.UNAUTHENTICATED;
      case "permission_denied" -> ErrorCode.PERMISSION_DENIED;
      case "not_found" -> ErrorCode.NOT_FOUND;
      case "already_exists" -> ErrorCode.ALREADY_EXISTS;
      case "rate_limited" -> ErrorCode.RATE_LIMITED;
      case "unavailable" -> ErrorCode.UNAVAILABLE;
      default -> ErrorCode.INTERNAL;
    };
  }
}
