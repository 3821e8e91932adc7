package spartan.core.store.redis;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStoreContract;
import spartan.core.testing.RedisPerClass;

/** The store contract against the Redis store on one {@code redis-server}. */
class RedisChatStoreTest extends ChatStoreContract {
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();

  @Override
  protected ChatStore open(Path dir) {
    return RedisChatStore.builder().url(redis.url()).build();
  }
}
