package spartan.transport.socket.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.Session;
import spartan.core.spi.TransportOptions;
import spartan.transport.socket.wire.WireJson;

/**
 * The socket transport's client connector: a {@link ChatService} that speaks NDJSON to a remote
 * server. Each {@link #login}/{@link #resume} opens its own TCP connection, which is the session;
 * {@link #authMode} and {@link #createAccount} use a short-lived connection each.
 *
 * <p>Thread-safe. Calls block their caller until the server answers (at most the request timeout)
 * and report every failure as a {@link ChatException}; a lost connection is {@code UNAVAILABLE}.
 * Event subscribers and async continuations run on {@link TransportOptions#blockingExecutor()} if
 * one is given, else on a small daemon pool the connector owns and shuts down in {@link #close()}.
 */
public final class SocketClient implements ChatService {
  private final ClientSettings settings;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks;
  private final Set<SocketClientHandler> connections = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public SocketClient(TransportOptions options) {
    this.settings = ClientSettings.from(options);
    this.group = ClientLoops.acquire();
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis());
    if (options.blockingExecutor() != null) {
      this.callbacks = options.blockingExecutor();
      this.ownedCallbacks = null;
    } else {
      this.ownedCallbacks =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "spartan-socket-client");
                t.setDaemon(true);
                return t;
              });
      this.callbacks = ownedCallbacks;
    }
  }

  @Override
  public AuthMode authMode() {
    String mode = control("info", WireJson.object()).path("authMode").asText("");
    try {
      return AuthMode.valueOf(mode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ChatException(
          ErrorCode.INTERNAL, "Server reported an unknown auth mode '" + mode + "'.");
    }
  }

  @Override
  public void createAccount(String user, String password) {
    ObjectNode f = WireJson.object().put("user", user);
    if (password != null) {
      f.put("password", password);
    }
    control("create_account", f);
  }

  @Override
  public Session login(String user, String password) {
    ObjectNode f = WireJson.object().put("user", user).put("subscribe", false);
    if (password != null) {
      f.put("password", password);
    }
    return attach("login", f);
  }

  @Override
  public Session resume(String token) {
    return attach("resume", WireJson.object().put("token", token).put("subscribe", false));
  }

  private Session attach(String op, ObjectNode fields) {
    SocketClientHandler c = connect();
    try {
      JsonNode reply =
          SocketClientSession.await(c.call(op, fields, null), settings.requestTimeout());
      return new SocketClientSession(
          c,
          reply.path("user").asText(),
          reply.path("token").asText(),
          callbacks,
          settings.requestTimeout());
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** One call on a connection of its own, closed afterwards. */
  private JsonNode control(String op, ObjectNode fields) {
    SocketClientHandler c = connect();
    try {
      return SocketClientSession.await(c.call(op, fields, null), settings.requestTimeout());
    } finally {
      c.close();
    }
  }

  private SocketClientHandler connect() {
    if (closed) {
      throw ChatException.unavailable("This connector is closed.");
    }
    SocketClientHandler c = SocketClientHandler.open(bootstrap, settings);
    connections.add(c);
    c.onClose(() -> connections.remove(c));
    return c;
  }

  /** Closes every connection (their sessions stay on the server until they expire). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (SocketClientHandler c : connections) {
      c.close();
    }
    ClientLoops.release(group);
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown();
    }
  }
}
