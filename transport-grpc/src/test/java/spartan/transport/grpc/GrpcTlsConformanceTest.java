package spartan.transport.grpc;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.TestTls;

/** The whole conformance suite over gRPC with TLS, trusting a private CA, host name checked. */
class GrpcTlsConformanceTest extends ChatServiceConformance {
  @TempDir static Path certs;
  private static TestTls tls;
  private ExecutorService blocking;
  private TransportServer server;

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    synchronized (GrpcTlsConformanceTest.class) {
      if (tls == null) {
        tls = TestTls.in(certs);
      }
    }
    blocking = Executors.newCachedThreadPool();
    TransportProvider grpc = TransportProvider.named("grpc");
    TransportOptions options = TransportOptions.of("127.0.0.1", 0, blocking);
    server = grpc.serve(core, options.withTls(tls.server()));
    return grpc.connect(options.withPort(server.port()).withTls(tls.client()));
  }

  @Override
  protected void unbind() throws Exception {
    server.close();
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }
}
