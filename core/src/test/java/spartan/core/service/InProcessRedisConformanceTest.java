package spartan.core.service;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.Jedis;
import spartan.core.ChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.RedisProcess;

/** The conformance suite against the in-process service on the Redis store. */
class InProcessRedisConformanceTest extends ChatServiceConformance {
  private static RedisProcess server;

  @BeforeAll
  static void startRedis() {
    server = RedisProcess.startOnFreePort();
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @Override
  protected ChatStore newStore(Path dir) {
    try (Jedis j = new Jedis("127.0.0.1", server.port())) {
      j.flushAll();
    }
    return RedisChatStore.builder().url(server.url()).build();
  }

  @Override
  protected ChatService bind(LocalChatService core) {
    return new ForwardingChatService(core);
  }
}
