package spartan.transport.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.testing.AlternatingChatService;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.ClusterNodes;

/**
 * The conformance suite over gRPC on Netty across two nodes: one server per node, the nodes sharing
 * one memory store and one Redis, and each login going to the next server in turn, so sender
 * and recipient sit on different nodes.
 */
class GrpcClusterConformanceTest extends ChatServiceConformance {
  private ClusterNodes nodes;
  private final List<TransportServer> servers = new ArrayList<>();
  private ExecutorService blocking;

  @Override
  protected LocalChatService buildCore(LocalChatService.Builder b) {
    String url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    nodes = ClusterNodes.start(url, 2, b);
    return nodes.node(0);
  }

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    TransportProvider transport = TransportProvider.named("grpc");
    blocking = Executors.newCachedThreadPool();
    List<ChatService> clients = new ArrayList<>();
    for (LocalChatService node : nodes.services()) {
      TransportServer server = transport.serve(node, TransportOptions.of("127.0.0.1", 0, blocking));
      servers.add(server);
      clients.add(transport.connect(TransportOptions.of("127.0.0.1", server.port(), blocking)));
    }
    return new AlternatingChatService(clients);
  }

  @Override
  protected void unbind() {
    servers.forEach(TransportServer::close);
    servers.clear();
    nodes.close();
    blocking.shutdownNow();
  }
}
