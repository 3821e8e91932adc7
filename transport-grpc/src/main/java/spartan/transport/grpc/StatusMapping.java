package spartan.transport.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.tls.TlsFailures;
import spartan.proto.v1.ChatProto;

/**
 * The one place where core error codes and gRPC statuses meet, in both directions: the server
 * adapter turns every {@link ChatException} into a status with {@link #toStatus}, and the client
 * connector turns every status back with {@link #toChatException}, so a failure keeps its code,
 * message and retry delay across the wire. Only the code, the message and the {@value
 * #RETRY_AFTER_HEADER} trailer are sent; causes and stack traces stay in the server log.
 *
 * <p>Stateless and thread-safe.
 */
final class StatusMapping {
  private static final Logger log = LoggerFactory.getLogger(StatusMapping.class);

  static final String RETRY_AFTER_HEADER = "retry-after-ms";

  /**
   * How long a rate-limited caller should wait, in milliseconds (a decimal integer, rounded up,
   * at least 1).
   */
  public static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of(RETRY_AFTER_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private StatusMapping() {}

  /** The gRPC code a core code travels as. */
  public static Status.Code codeOf(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /**
   * The status a failure is sent as. Anything that is not a {@link ChatException} becomes {@code
   * INTERNAL} with a generic message and is logged here with its cause, which is not sent.
   */
  public static StatusRuntimeException toStatus(Throwable failure) {
    ChatException e = ChatException.wrap(failure);
    if (e.code() == ErrorCode.INTERNAL) {
      log.error("call failed with an internal error", e.getCause() != null ? e.getCause() : e);
    }
    Metadata trailers = new Metadata();
    if (e.retryAfter() != null) {
      // Rounded up and at least 1: a truncated 0 would tell the client to retry at once.
      trailers.put(RETRY_AFTER_MS, Long.toString(e.retryAfterMillis()));
    }
    return Status.fromCode(codeOf(e.code()))
        .withDescription(e.getMessage())
        .asRuntimeException(trailers);
  }

  /**
   * The core failure a gRPC failure stands for. Statuses the server never sends on purpose are
   * folded in: a deadline, a cancelled call or a lost connection is {@code UNAVAILABLE}; a frame
   * over the size limit ({@code RESOURCE_EXHAUSTED} without a retry delay) is {@code
   * INVALID_ARGUMENT}; anything else unexpected is {@code INTERNAL}. The cause is kept for the
   * client's own log; it never came from the server.
   */
  public static ChatException toChatException(Throwable failure) {
    if (failure instanceof ChatException e) {
      return e;
    }
    Status status = Status.fromThrowable(failure);
    Metadata trailers = Status.trailersFromThrowable(failure);
    String message = status.getDescription();
    if (message == null || message.isBlank()) {
      message = fallbackMessage(status.getCode());
    }
    String retryAfter = trailers == null ? null : trailers.get(RETRY_AFTER_MS);
    ErrorCode code =
        switch (status.getCode()) {
          case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_ARGUMENT;
          case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
          case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
          case NOT_FOUND -> ErrorCode.NOT_FOUND;
          case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
          case RESOURCE_EXHAUSTED ->
              retryAfter != null ? ErrorCode.RATE_LIMITED : ErrorCode.INVALID_ARGUMENT;
          case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED -> ErrorCode.UNAVAILABLE;
          default -> ErrorCode.INTERNAL;
        };
    if (code == ErrorCode.RATE_LIMITED) {
      return ChatException.rateLimited(message, parseMillis(retryAfter));
    }
    if (code == ErrorCode.UNAVAILABLE) {
      // A failed handshake reaches here as UNAVAILABLE with the JDK's exception as its cause.
      String tls = TlsFailures.describe(failure, null, null);
      if (tls != null) {
        message = tls;
      }
    }
    return new ChatException(code, message, failure);
  }

  /**
   * A failed send as one result of the {@code SendStream} RPC: the code, message and retry delay
   * {@link #toStatus} would send as a status (and logs the same way), as a message instead, so
   * the stream goes on.
   */
  static ChatProto.SendError toSendError(Throwable failure) {
    StatusRuntimeException s = toStatus(failure);
    Metadata trailers = s.getTrailers();
    String retryAfter = trailers == null ? null : trailers.get(RETRY_AFTER_MS);
    return ChatProto.SendError.newBuilder()
        .setCode(s.getStatus().getCode().name())
        .setMessage(Objects.requireNonNullElse(s.getStatus().getDescription(), ""))
        .setRetryAfterMs(retryAfter == null ? 0 : parseMillis(retryAfter).toMillis())
        .build();
  }

  /**
   * The core failure a {@code SendStream} error result stands for: the same as {@link
   * #toChatException(Throwable)} would give for that status. An unknown code name is {@code
   * INTERNAL}.
   */
  static ChatException toChatException(ChatProto.SendError error) {
    Status.Code code;
    try {
      code = Status.Code.valueOf(error.getCode());
    } catch (IllegalArgumentException e) {
      code = Status.Code.INTERNAL;
    }
    Metadata trailers = new Metadata();
    // Only a rate limit is ever a per-send RESOURCE_EXHAUSTED (an oversized frame ends the whole
    // stream), so it keeps its RATE_LIMITED meaning even with a zero delay (which this server
    // never sends, but an older one could).
    if (code == Status.Code.RESOURCE_EXHAUSTED) {
      trailers.put(RETRY_AFTER_MS, Long.toString(error.getRetryAfterMs()));
    }
    String message = error.getMessage().isEmpty() ? null : error.getMessage();
    return toChatException(
        Status.fromCode(code).withDescription(message).asRuntimeException(trailers));
  }

  private static Duration parseMillis(String value) {
    try {
      return Duration.ofMillis(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException e) {
      return Duration.ZERO;
    }
  }

  private static String fallbackMessage(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE -> "The server is unreachable.";
      case DEADLINE_EXCEEDED -> "The server did not answer in time.";
      case CANCELLED -> "The call was cancelled.";
      default -> "gRPC call failed: " + code;
    };
  }
}
