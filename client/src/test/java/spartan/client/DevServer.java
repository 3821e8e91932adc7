package spartan.client;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;

/**
 * A development harness, not a test: an in-memory server with the demo users on a transport, to
 * try the client by hand without the server module. {@code DevServer [grpc|socket] [port]}.
 */
final class DevServer {
  private DevServer() {}

  public static void main(String[] args) throws Exception {
    String transport = args.length > 0 ? args[0] : "grpc";
    TransportProvider provider = TransportProvider.named(transport);
    int port = args.length > 1 ? Integer.parseInt(args[1]) : provider.defaultPort();
    ExecutorService executor = Executors.newCachedThreadPool();
    LocalChatService core =
        LocalChatService.builder().store(new MemoryChatStore()).deliveryExecutor(executor).build();
    for (String u : ChatFixture.DEMO_USERS) {
      core.createAccount(u, null);
    }
    TransportServer server = provider.serve(core, TransportOptions.of("127.0.0.1", port, executor));
    System.out.println("dev server: " + transport + " on port " + server.port());
    new CountDownLatch(1).await();
  }
}
