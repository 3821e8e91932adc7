package spartan.transport.grpc;

import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.concurrent.Executor;
import spartan.core.ChatException;

/**
 * The session token as call metadata, {@code authorization: Bearer <token>}, so it travels once
 * per call and never inside a message. The client side is {@link #credentials}; the server side
 * is {@link #interceptor}, which puts the presented token into the call's {@link Context} for
 * the service to read with {@link #presentedToken()}.
 */
final class BearerAuth {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String SCHEME = "Bearer ";
  /** Longer than any token the core issues; a longer header is not a token of ours. */
  private static final int MAX_TOKEN = 128;

  private static final Context.Key<String> TOKEN = Context.key("spartan-session-token");

  private BearerAuth() {}

  /**
   * Credentials that attach {@code token} to every call. A token that cannot be a header value
   * (null, too long, not printable ASCII) cannot be a session's, so it fails like any unknown one.
   *
   * @throws ChatException {@code UNAUTHENTICATED} for such a token
   */
  static CallCredentials credentials(String token) {
    if (!wellFormed(token)) {
      throw ChatException.unauthenticated("Session expired or logged out; log in again.");
    }
    String header = SCHEME + token;
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, header);
        applier.apply(m);
      }
    };
  }

  /** Reads the bearer token of each incoming call into its context; absent stays null. */
  static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String value = headers.get(AUTHORIZATION);
        String token = null;
        if (value != null && value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
          String t = value.substring(SCHEME.length()).strip();
          token = wellFormed(t) ? t : null;
        }
        return Contexts.interceptCall(Context.current().withValue(TOKEN, token), call, headers, next);
      }
    };
  }

  /** The token presented with the current call, or null if none. */
  static String presentedToken() {
    return TOKEN.get();
  }

  private static boolean wellFormed(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c > '~') {
        return false;
      }
    }
    return true;
  }
}
