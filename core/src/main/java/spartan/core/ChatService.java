package spartan.core;

/**
 * The entry point of the chat API: accounts and login. Three bindings implement it — the
 * in-process core service and the gRPC and socket client connectors — and behave the same,
 * error codes included (the conformance suite in core's test-jar proves it).
 *
 * <p>Implementations are thread-safe. Methods block until the server answered and report every
 * failure as a {@link ChatException}; arguments are never null unless a parameter says so.
 */
public interface ChatService extends AutoCloseable {

  /** The server's authentication mode, so a client knows whether to ask for a password. */
  AuthMode authMode();

  /**
   * Creates an account. {@code password} is required in {@link AuthMode#PASSWORD} mode (8–256
   * characters) and ignored in {@link AuthMode#OPEN} mode (may be null).
   *
   * @throws ChatException {@code INVALID_ARGUMENT} for a bad name or password, {@code
   *     ALREADY_EXISTS} if the name is taken (case-insensitively), {@code RATE_LIMITED} (with
   *     the wait) when the caller's address has used its sign-up budget, {@code UNAVAILABLE}
   *     when the server is too busy hashing passwords
   */
  void createAccount(String user, String password);

  /**
   * Logs in and returns a new session. A user may hold several sessions at once.
   *
   * @throws ChatException {@code UNAUTHENTICATED} for wrong credentials in password mode (the
   *     same error whether or not the user exists), {@code NOT_FOUND} for an unknown user in open
   *     mode, {@code RATE_LIMITED} (with the wait) in password mode after too many attempts for
   *     the name or from the caller's address, {@code UNAVAILABLE} when the server is too busy
   *     hashing passwords
   */
  Session login(String user, String password);

  /**
   * Re-attaches to a session by its token, e.g. after a reconnect. The returned session is the
   * same server-side session that {@link #login} created.
   *
   * @throws ChatException {@code UNAUTHENTICATED} if the token is unknown, expired or logged out
   */
  Session resume(String token);

  /**
   * This service as seen by one client connection from {@code address}: the same accounts and
   * sessions, but sign-ups and login attempts made through the returned view are counted against
   * that address, so the server can throttle a flood from one address without slowing anyone
   * else. Server transports call it once per connection with the peer's IP address. Bindings that
   * do not throttle (client connectors) return {@code this}, which is the default.
   */
  default ChatService forClient(java.net.InetAddress address) {
    return this;
  }

  /** Releases the binding's resources (connections, for a remote binding). Idempotent. */
  @Override
  void close();
}
