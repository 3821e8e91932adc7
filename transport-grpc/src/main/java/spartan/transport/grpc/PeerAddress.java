package spartan.transport.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The IP address a call came from, read from its transport by {@link #interceptor} into the
 * call's {@link Context}, so sign-ups and logins can be counted against it ({@link
 * spartan.core.ChatService#forClient}). In-process calls have none.
 */
final class PeerAddress {
  private static final Context.Key<InetAddress> ADDRESS = Context.key("spartan-peer-address");

  private PeerAddress() {}

  static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        InetAddress address = remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
        return Contexts.interceptCall(
            Context.current().withValue(ADDRESS, address), call, headers, next);
      }
    };
  }

  /** The current call's remote IP address, or null if it has none (in-process). */
  static InetAddress current() {
    return ADDRESS.get();
  }
}
