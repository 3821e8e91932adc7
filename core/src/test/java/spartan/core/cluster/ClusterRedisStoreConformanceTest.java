package spartan.core.cluster;

import java.nio.file.Path;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.AlternatingChatService;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.ClusterNodes;

/**
 * The whole conformance suite across two nodes sharing the Redis store and, on the same Redis,
 * the bus, as a deployment runs them: the presence each insert returns is what addresses every
 * cross-node push ({@code presenceFromStore}), so no behaviour depends on the bus reading it.
 */
class ClusterRedisStoreConformanceTest extends ChatServiceConformance {
  private ClusterNodes nodes;

  @Override
  protected ChatStore newStore(Path dir) {
    String url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    return RedisChatStore.builder().url(url).build();
  }

  @Override
  protected LocalChatService buildCore(LocalChatService.Builder b) {
    nodes =
        ClusterNodes.start(
            ClusterNodes.sharedRedis().url(), 2, b, bus -> bus.presenceFromStore(true));
    return nodes.node(0);
  }

  @Override
  protected ChatService bind(LocalChatService core) {
    return new AlternatingChatService(nodes.services());
  }

  @Override
  protected void unbind() {
    nodes.close();
  }
}
