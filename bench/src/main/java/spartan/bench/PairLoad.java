package spartan.bench;

import java.util.ArrayList;
import java.util.List;

/** The pairs of users the latency and throughput scenarios drive: each sends to the other. */
final class PairLoad implements AutoCloseable {
  final OpenLoop loop;
  private final List<Target.Peer> peers;

  private PairLoad(OpenLoop loop, List<Target.Peer> peers) {
    this.loop = loop;
    this.peers = peers;
  }

  /**
   * Creates {@code clients} users (rounded down to pairs) and logs them in. On one node each pair
   * sends both ways; on several, the first of each pair logs in to the first node and sends, the
   * second to the last node and receives, so every message crosses between nodes.
   */
  static PairLoad open(Target target, BenchOptions o, UserNames names) throws InterruptedException {
    int pairs = Math.max(1, o.clients() / 2);
    List<String> users = names.next(pairs * 2);
    target.createUsers(users);
    OpenLoop loop = new OpenLoop(target, o.payloadChars());
    List<String> senders = new ArrayList<>();
    List<String> recipients = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      senders.add(users.get(2 * i));
      recipients.add(users.get(2 * i + 1));
    }
    List<Target.Peer> a = Peers.loginAll(target, senders, loop.handler(), Target.Side.SENDER);
    List<Target.Peer> b;
    try {
      b = Peers.loginAll(target, recipients, loop.handler(), Target.Side.RECIPIENT);
    } catch (RuntimeException | InterruptedException e) {
      Peers.closeAll(a);
      throw e;
    }
    boolean bothWays = target.nodes() == 1;
    List<OpenLoop.Route> routes = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      routes.add(new OpenLoop.Route(a.get(i), b.get(i).user()));
      if (bothWays) {
        routes.add(new OpenLoop.Route(b.get(i), a.get(i).user()));
      }
    }
    loop.routes(routes);
    List<Target.Peer> peers = new ArrayList<>(a);
    peers.addAll(b);
    return new PairLoad(loop, peers);
  }

  @Override
  public void close() {
    Peers.closeAll(peers);
  }
}
