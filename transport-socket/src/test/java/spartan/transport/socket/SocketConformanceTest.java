package spartan.transport.socket;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.testing.ChatServiceConformance;

/**
 * The whole conformance suite over the socket transport: a real server on a loopback port, found by
 * name through the ServiceLoader like the server and client find it, and the connector.
 */
class SocketConformanceTest extends ChatServiceConformance {
  private TransportServer server;
  private ExecutorService blocking;

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    TransportProvider socket = TransportProvider.named("socket");
    blocking = Executors.newCachedThreadPool();
    server = socket.serve(core, TransportOptions.of("127.0.0.1", 0, blocking));
    return socket.connect(TransportOptions.of("127.0.0.1", server.port(), null));
  }

  @Override
  protected void unbind() {
    server.close();
    blocking.shutdownNow();
  }
}
