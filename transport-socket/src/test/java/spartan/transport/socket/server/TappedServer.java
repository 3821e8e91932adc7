package spartan.transport.socket.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.store.MemoryChatStore;
import spartan.transport.socket.SocketTransportProvider;

/**
 * A real socket server on loopback for the attack and robustness tests, over a core on a memory
 * store with the accounts alice and bob. Every accepted connection gets a fresh tap (a handler
 * first in its pipeline, before the server's own) that the test reads to see what the server
 * read and wrote. A test registers it as an instance field with {@code @RegisterExtension}; it
 * closes the server, core, store and executor after each test.
 *
 * @param <T> the tap a test puts on each connection
 */
final class TappedServer<T extends ChannelHandler> implements AfterEachCallback {
  final ExecutorService executor = Executors.newCachedThreadPool();
  final MemoryChatStore store = new MemoryChatStore();
  final LocalChatService core =
      LocalChatService.builder().store(store).deliveryExecutor(executor).build();
  /** The taps of the accepted connections, in accept order. */
  final List<T> taps = new CopyOnWriteArrayList<>();
  private final Supplier<T> newTap;
  private SocketServer server;

  TappedServer(Supplier<T> newTap) {
    this.newTap = newTap;
    core.createAccount("alice", null);
    core.createAccount("bob", null);
  }

  /** Options for a server on a free loopback port, core calls run on {@link #executor}. */
  TransportOptions options() {
    return TransportOptions.of("127.0.0.1", 0, executor);
  }

  /** Starts the server for {@code service} (the core, or a wrapper around it). */
  SocketServer serve(ChatService service, TransportOptions options) throws IOException {
    ServerSettings settings = ServerSettings.from(options);
    ServerPipeline pipeline = new ServerPipeline(service, executor, settings);
    server =
        SocketServer.start(
            options,
            settings,
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                T tap = newTap.get();
                taps.add(tap);
                ch.pipeline().addLast(tap);
                pipeline.configure(ch.pipeline());
              }
            });
    return server;
  }

  int port() {
    return server.port();
  }

  /** The socket transport's own client, connected to this server. */
  ChatService connector() {
    return new SocketTransportProvider()
        .connect(TransportOptions.of("127.0.0.1", server.port(), null));
  }

  /** A raw line client from {@code source} (null for any loopback address). */
  RawLineClient raw(String source, int receiveBuffer) throws IOException {
    return new RawLineClient(server.port(), source, receiveBuffer);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (server != null) {
      server.close();
    }
    core.close();
    store.close();
    executor.shutdownNow();
  }
}
