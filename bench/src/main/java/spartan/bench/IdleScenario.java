package spartan.bench;

import java.util.List;
import java.util.Map;

/** Scenario 5: the server's memory per connected, logged-in, subscribed idle session. */
final class IdleScenario implements Scenario {

  @Override
  public String id() {
    return "idle";
  }

  @Override
  public String title() {
    return "5. Idle memory per session";
  }

  @Override
  public String method(BenchOptions o) {
    return o.idleSessions() + " idle sessions; heap after a full GC (in-process: MemoryMXBean;"
        + " forked: jcmd GC.run, GC.heap_info) and VmRSS, after minus before, divided by sessions";
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome out = Outcome.empty();
    List<String> users = names.next(o.idleSessions());
    target.createUsers(users);
    ServerStats before = target.stats(true);
    List<Target.Peer> peers = Peers.loginAll(target, users, (from, text, now) -> {});
    try {
      ServerStats after = target.stats(true);
      if (before == null || after == null) {
        out.add("heap per session", Double.NaN, "KiB", false)
            .note("no server figures: the server is remote and not a 'bench serve'");
        return out;
      }
      int n = peers.size();
      boolean heapKnown = before.heapUsedBytes() >= 0 && after.heapUsedBytes() >= 0;
      out.add("heap per session",
          heapKnown ? (after.heapUsedBytes() - before.heapUsedBytes()) / 1024.0 / n : Double.NaN,
          "KiB", false);
      if (!heapKnown) {
        out.note("no heap figure: jcmd could not ask the forked server for one");
      }
      out.add("RSS per session", (after.rssBytes() - before.rssBytes()) / 1024.0 / n, "KiB", false);
      if (target.statsIncludeGenerator()) {
        out.note("in-process: includes the client side of each connection too");
      }
      out.detail("sessions", n).detail("before", before).detail("after", after);
      return out;
    } finally {
      Peers.closeAll(peers);
    }
  }
}
