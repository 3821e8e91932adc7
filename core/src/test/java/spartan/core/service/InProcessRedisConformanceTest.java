package spartan.core.service;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.RedisPerClass;

/** The conformance suite against the in-process service on the Redis store. */
class InProcessRedisConformanceTest extends ChatServiceConformance {
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();

  @Override
  protected ChatStore newStore(Path dir) {
    return RedisChatStore.builder().url(redis.url()).build();
  }

  @Override
  protected ChatService bind(LocalChatService core) {
    return new ForwardingChatService(core);
  }
}
