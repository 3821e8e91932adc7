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

  /** Creates {@code clients} users (rounded down to pairs), logs them in and routes each pair both ways. */
  static PairLoad open(Target target, BenchOptions o, UserNames names) throws InterruptedException {
    int pairs = Math.max(1, o.clients() / 2);
    List<String> users = names.next(pairs * 2);
    target.createUsers(users);
    OpenLoop loop = new OpenLoop(target, o.payloadChars());
    List<Target.Peer> peers = Peers.loginAll(target, users, loop.handler());
    List<OpenLoop.Route> routes = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      Target.Peer a = peers.get(2 * i);
      Target.Peer b = peers.get(2 * i + 1);
      routes.add(new OpenLoop.Route(a, b.user()));
      routes.add(new OpenLoop.Route(b, a.user()));
    }
    loop.routes(routes);
    return new PairLoad(loop, peers);
  }

  @Override
  public void close() {
    Peers.closeAll(peers);
  }
}
