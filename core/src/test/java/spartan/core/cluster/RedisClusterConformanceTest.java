package spartan.core.cluster;

import java.nio.file.Files;
import java.time.Duration;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.testing.AlternatingChatService;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.ClusterNodes;

/**
 * The whole conformance suite across three nodes whose bus is a local three-master Redis
 * Cluster: presence, node registry, epoch and each node's channel land on different shards, so
 * every key and script is proved to stay within one slot and every channel to be routed.
 */
class RedisClusterConformanceTest extends ChatServiceConformance {
  private static ThreeMasterCluster redisCluster;
  private ClusterNodes nodes;

  private static synchronized ThreeMasterCluster redisCluster() throws Exception {
    if (redisCluster == null) {
      ThreeMasterCluster c =
          new ThreeMasterCluster(Files.createTempDirectory("spartan-redis-cluster"));
      Runtime.getRuntime().addShutdownHook(new Thread(c::close));
      redisCluster = c;
    }
    return redisCluster;
  }

  @Override
  protected LocalChatService buildCore(LocalChatService.Builder b) throws Exception {
    ThreeMasterCluster c = redisCluster();
    for (HostAndPort master : c.seeds()) {
      try (RedisClient r = RedisClient.create(master)) {
        r.flushAll();
      }
    }
    nodes =
        ClusterNodes.start(
            bus -> bus.redisCluster(c.seeds(), Duration.ofSeconds(2)), 3, b, bus -> bus);
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
