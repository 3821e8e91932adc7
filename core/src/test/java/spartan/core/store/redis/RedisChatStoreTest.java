package spartan.core.store.redis;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.Jedis;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStoreContract;
import spartan.core.testing.RedisProcess;

/** The store contract against the Redis store on one {@code redis-server}. */
class RedisChatStoreTest extends ChatStoreContract {
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
  protected ChatStore open(Path dir) {
    try (Jedis j = new Jedis("127.0.0.1", server.port())) {
      j.flushAll();
    }
    return RedisChatStore.builder().url(server.url()).build();
  }
}
