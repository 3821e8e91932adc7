package spartan.core.decorate;

import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.file.Path;
import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.service.ForwardingChatService;
import spartan.core.Session;
import spartan.core.cache.RecentMessages;
import spartan.core.limit.RateLimiter;
import spartan.core.service.LocalChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.ChatServiceConformance;

/**
 * The whole conformance suite through the decorator — limiter and recent-message cache both on,
 * the core built on the caching store — proving decoration changes nothing else. The limit is
 * generous so the suite's bursts pass.
 */
public class DecoratedConformanceTest extends ChatServiceConformance {
  private RecentMessages recent;
  private RateLimiter limiter;

  @Override
  protected final ChatStore newStore(Path dir) throws Exception {
    recent = RecentMessages.builder().perConversation(5).conversations(100).build();
    return recent.wrap(baseStore(dir));
  }

  /** The store under the cache; memory here, SQLite in {@link DecoratedSqliteConformanceTest}. */
  protected ChatStore baseStore(Path dir) throws Exception {
    return new MemoryChatStore();
  }

  @Override
  protected ChatService bind(LocalChatService core) {
    limiter = RateLimiter.builder().perSecond(100_000).burst(100_000).ticker(Ticker.systemTicker()).build();
    ChatService decorated =
        ChatDecorator.builder()
            .rateLimiter(limiter, Runnable::run)
            .recentMessages(recent)
            .build()
            .decorate(core);
    return new ForwardingChatService(decorated);
  }

  @Override
  protected void unbind() {
    limiter.close();
  }
}
