package spartan.core.cluster;

import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.testing.AlternatingChatService;
import spartan.core.testing.ChatServiceConformance;
import spartan.core.testing.ClusterNodes;

/**
 * The whole conformance suite in-process across two nodes that share one memory store and one
 * Redis: logins alternate between the nodes, so the sender and the recipient of each behaviour
 * sit on different nodes and every push crosses the bus.
 */
class ClusterConformanceTest extends ChatServiceConformance {
  private ClusterNodes nodes;

  @Override
  protected LocalChatService buildCore(LocalChatService.Builder b) {
    String url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
    nodes = ClusterNodes.start(url, 2, b);
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
