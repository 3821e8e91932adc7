package spartan.core.cluster;

import spartan.core.testing.CrossNodeConformance;
import spartan.core.testing.RedisClusterProcess;

/**
 * The whole conformance suite across three nodes on a local three-master Redis Cluster, store and
 * bus alike: each user's, group's and conversation's keys, presence, the node registry, the epoch
 * and each node's channel land on different shards, so every script is proved to stay within one
 * slot and every channel to be routed.
 */
class RedisClusterConformanceTest extends CrossNodeConformance {
  private static RedisClusterProcess redisCluster;

  RedisClusterConformanceTest() {
    super(null, 3);
  }

  private static synchronized RedisClusterProcess redisCluster() {
    if (redisCluster == null) {
      RedisClusterProcess c = RedisClusterProcess.start();
      Runtime.getRuntime().addShutdownHook(new Thread(c::close));
      redisCluster = c;
    }
    return redisCluster;
  }

  @Override
  protected String redisUrl() {
    return redisCluster().url();
  }

  @Override
  protected void flushRedis() {
    redisCluster().flushAll();
  }
}
