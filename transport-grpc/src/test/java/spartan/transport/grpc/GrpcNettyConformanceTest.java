package spartan.transport.grpc;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.testing.ChatServiceConformance;

/**
 * The conformance suite over real gRPC on Netty, on a loopback port, through the provider the
 * server and client find with ServiceLoader.
 */
class GrpcNettyConformanceTest extends ChatServiceConformance {
  private ExecutorService blocking;
  private TransportServer server;

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    blocking = Executors.newCachedThreadPool();
    TransportProvider grpc = TransportProvider.named("grpc");
    TransportOptions options = TransportOptions.of("127.0.0.1", 0, blocking);
    server = grpc.serve(core, options);
    return grpc.connect(options.withPort(server.port()));
  }

  @Override
  protected void unbind() throws Exception {
    server.close();
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }
}
