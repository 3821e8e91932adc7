package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStoreContract;
import spartan.core.testing.RedisClusterProcess;

/**
 * The store contract against a local three-master Redis Cluster: proves that every script
 * touches one slot and that the keys of users, groups and conversations spread over the nodes.
 */
class RedisClusterChatStoreTest extends ChatStoreContract {
  private static RedisClusterProcess cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RedisClusterProcess.start();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Override
  protected ChatStore open(Path dir) {
    cluster.flushAll();
    return RedisChatStore.builder().url(cluster.url()).build();
  }

  @Test
  void theStoreKnowsItIsOnAClusterAndItsKeysSpreadOverEveryNode() {
    assertThat(store.toString()).contains("(cluster)");
    for (int i = 0; i < 30; i++) {
      accounts("user" + i);
    }
    for (int i = 1; i < 30; i++) {
      append(direct("user0", "user" + i, "hello " + i));
    }
    for (int port : cluster.ports()) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        assertThat(j.dbSize()).as("keys on node %d", port).isPositive();
      }
    }
  }
}
