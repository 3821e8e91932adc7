package spartan.transport.socket;

import java.io.IOException;
import spartan.core.ChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.transport.socket.client.SocketClient;
import spartan.transport.socket.server.SocketServer;

/**
 * The {@code socket} transport: newline-delimited JSON over TCP, on Netty and Jackson. The protocol
 * is specified in {@code PROTOCOL.md} at the repository root. Found with {@link
 * java.util.ServiceLoader}; stateless and thread-safe.
 *
 * <p>Besides {@link TransportOptions}' common settings it reads these {@code extra} keys:
 *
 * <ul>
 *   <li>server: {@code lineTimeoutMs} (default 10000) — the most time one request line may take to
 *       arrive, first byte to newline; {@code shutdownGraceMs} (2000) — how long {@code close} lets
 *       requests in progress finish; {@code ioThreads} (0: Netty's default);
 *   <li>client: {@code maxReplyBytes} (64 MiB) — the longest reply line accepted; {@code
 *       requestTimeoutMs} (60000) — how long a call waits for its reply.
 * </ul>
 *
 * With {@link TransportOptions#tls()} set, every connection starts with a TLS handshake (Netty's
 * {@code SslHandler} first in the pipeline); the client checks the server's certificate chain and
 * host name and reports a failed handshake as {@code UNAVAILABLE} with a sentence saying why.
 *
 * <p>The server needs {@link TransportOptions#blockingExecutor()}: every call into the core runs
 * there, never on Netty's event loops. The client uses it, when given, for event callbacks.
 */
public final class SocketTransportProvider implements TransportProvider {
  /** The port a socket server listens on unless told otherwise. */
  public static final int DEFAULT_PORT = 3001;

  @Override
  public String name() {
    return "socket";
  }

  @Override
  public int defaultPort() {
    return DEFAULT_PORT;
  }

  @Override
  public TransportServer serve(ChatService service, TransportOptions options) throws IOException {
    return SocketServer.start(service, options);
  }

  @Override
  public ChatService connect(TransportOptions options) {
    return new SocketClient(options);
  }
}
