package spartan.transport.grpc;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.testing.ChatServiceConformance;

/** The conformance suite over in-process gRPC: the whole adapter and connector, no sockets. */
class GrpcInProcessConformanceTest extends ChatServiceConformance {
  private ExecutorService blocking;
  private GrpcServer server;

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    blocking = Executors.newCachedThreadPool();
    String name = InProcessServerBuilder.generateName();
    server =
        GrpcServer.inProcess(core, name, blocking, TransportOptions.DEFAULT_MAX_FRAME_BYTES);
    return new GrpcClient(
        InProcessChannelBuilder.forName(name)
            .maxInboundMessageSize(TransportOptions.DEFAULT_MAX_FRAME_BYTES)
            .build());
  }

  @Override
  protected void unbind() throws Exception {
    server.close();
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }
}
