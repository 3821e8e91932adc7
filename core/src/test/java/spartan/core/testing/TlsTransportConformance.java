package spartan.core.testing;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;

/**
 * The whole conformance suite over a transport found by name, on loopback with TLS: the server
 * presents a certificate from a private CA, the client trusts that CA and checks the host name.
 * One CA per test class, made on the first test and forgotten after the last.
 */
public abstract class TlsTransportConformance extends ChatServiceConformance {
  @TempDir static Path certs;
  private static TestTls tls;
  private final String transport;
  private ExecutorService blocking;
  private TransportServer server;

  /** {@code transport} is the name its {@link TransportProvider} answers to. */
  protected TlsTransportConformance(String transport) {
    this.transport = transport;
  }

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    synchronized (TlsTransportConformance.class) {
      if (tls == null) {
        tls = TestTls.in(certs);
      }
    }
    blocking = Executors.newCachedThreadPool();
    TransportProvider provider = TransportProvider.named(transport);
    TransportOptions options = TransportOptions.of("127.0.0.1", 0, blocking);
    server = provider.serve(core, options.withTls(tls.server()));
    return provider.connect(options.withPort(server.port()).withTls(tls.client()));
  }

  @Override
  protected void unbind() throws Exception {
    server.close();
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }

  @AfterAll
  static void forgetCa() {
    synchronized (TlsTransportConformance.class) {
      tls = null;
    }
  }
}
