package spartan.core.testing;

import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.ChatService;
import spartan.core.cache.RecentMessages;
import spartan.core.decorate.ChatDecorator;
import spartan.core.limit.RateLimiter;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;

/**
 * The whole conformance suite over a transport found by name, serving the production stack: the
 * core decorated with the rate limiter and the recent-message cache, as the server wires it. The
 * limit is generous so the suite's bursts pass.
 */
public abstract class DecoratedTransportConformance extends ChatServiceConformance {
  private final String transport;
  private RecentMessages recent;
  private RateLimiter limiter;
  private TransportServer server;
  private ExecutorService blocking;

  /** {@code transport} is the name its {@link TransportProvider} answers to. */
  protected DecoratedTransportConformance(String transport) {
    this.transport = transport;
  }

  @Override
  protected ChatStore newStore(Path dir) {
    recent = RecentMessages.builder().perConversation(5).conversations(100).build();
    return recent.wrap(new MemoryChatStore());
  }

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    blocking = Executors.newCachedThreadPool();
    limiter =
        RateLimiter.builder()
            .perSecond(100_000)
            .burst(100_000)
            .ticker(Ticker.systemTicker())
            .build();
    ChatService decorated =
        ChatDecorator.builder()
            .rateLimiter(limiter, blocking)
            .recentMessages(recent)
            .build()
            .decorate(core);
    TransportProvider provider = TransportProvider.named(transport);
    server = provider.serve(decorated, TransportOptions.of("127.0.0.1", 0, blocking));
    return provider.connect(TransportOptions.of("127.0.0.1", server.port(), null));
  }

  @Override
  protected void unbind() {
    server.close();
    limiter.close();
    blocking.shutdownNow();
  }
}
