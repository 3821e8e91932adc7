package spartan.core.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import spartan.core.ChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.ChatStore;
import spartan.core.store.redis.RedisChatStore;

/**
 * The conformance suite across several nodes sharing what real nodes share: one Redis that holds
 * the redis store and carries the nodes' bus. Each node has a store of its own on that Redis, as
 * each server process does, and logins alternate between the nodes, so the sender and the
 * recipient of each behaviour sit on different nodes and every push crosses the bus, addressed
 * by the presence each insert returns. In process, or over a transport with one server per node.
 *
 * <p>The Redis is {@link ClusterNodes#sharedRedis()}, emptied before each test; a subclass may
 * name another (a Redis Cluster) with {@link #redisUrl()} and {@link #flushRedis()}.
 */
public abstract class CrossNodeConformance extends ChatServiceConformance {
  private final String transport;
  private final int nodeCount;
  private ClusterNodes nodes;
  private final List<ChatStore> otherStores = new ArrayList<>();
  private final List<TransportServer> servers = new ArrayList<>();
  private ExecutorService blocking;

  /**
   * @param transport the transport each node serves ({@code grpc}, {@code socket}), or null to
   *     call the nodes in process
   * @param nodeCount how many nodes, at least two
   */
  protected CrossNodeConformance(String transport, int nodeCount) {
    if (nodeCount < 2) {
      throw new IllegalArgumentException("across nodes means at least two, was " + nodeCount);
    }
    this.transport = transport;
    this.nodeCount = nodeCount;
  }

  /** The Redis (or a node of the Redis Cluster) the stores and the bus share. */
  protected String redisUrl() {
    return ClusterNodes.sharedRedis().url();
  }

  /** Empties that Redis before a test. */
  protected void flushRedis() {
    ClusterNodes.flush(redisUrl());
  }

  @Override
  protected ChatStore newStore(Path dir) {
    flushRedis();
    return RedisChatStore.builder().url(redisUrl()).build();
  }

  @Override
  protected LocalChatService buildCore(LocalChatService.Builder b) {
    // As deployed: the store and the bus share the Redis, so each insert says where its
    // recipient is live and the bus does not read presence itself.
    nodes = ClusterNodes.start(redisUrl(), 1, b, bus -> bus.presenceFromStore(true));
    for (int i = 1; i < nodeCount; i++) {
      ChatStore own = RedisChatStore.builder().url(redisUrl()).build();
      otherStores.add(own);
      nodes.add(b.store(own));
    }
    return nodes.node(0);
  }

  @Override
  protected ChatService bind(LocalChatService core) throws Exception {
    if (transport == null) {
      return new AlternatingChatService(nodes.services());
    }
    TransportProvider provider = TransportProvider.named(transport);
    blocking = Executors.newCachedThreadPool();
    List<ChatService> clients = new ArrayList<>();
    for (LocalChatService node : nodes.services()) {
      TransportServer server = provider.serve(node, TransportOptions.of("127.0.0.1", 0, blocking));
      servers.add(server);
      clients.add(provider.connect(TransportOptions.of("127.0.0.1", server.port(), blocking)));
    }
    return new AlternatingChatService(clients);
  }

  @Override
  protected void unbind() {
    servers.forEach(TransportServer::close);
    servers.clear();
    nodes.close();
    otherStores.forEach(ChatStore::close);
    otherStores.clear();
    if (blocking != null) {
      blocking.shutdownNow();
    }
  }
}
