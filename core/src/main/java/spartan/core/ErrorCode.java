package spartan.core;

/**
 * The closed set of failure kinds every binding reports. Each transport maps these once, in one
 * place, to its own wire codes (gRPC status codes, socket {@code error.code} strings).
 */
public enum ErrorCode {
  /** The request itself is malformed or out of bounds. */
  INVALID_ARGUMENT,
  /** No valid session, or wrong credentials. */
  UNAUTHENTICATED,
  /** Authenticated, but not allowed (e.g. posting to a group one is not a member of). */
  PERMISSION_DENIED,
  /** A named user, group or request does not exist. */
  NOT_FOUND,
  /** A user or group with that name exists already. */
  ALREADY_EXISTS,
  /** Too many requests; {@link ChatException#retryAfter()} says when to try again. */
  RATE_LIMITED,
  /** The service cannot serve right now (shutting down, store unreachable); retrying may help. */
  UNAVAILABLE,
  /** A bug or an unexpected failure on the serving side; details stay in the server log. */
  INTERNAL
}
