package spartan.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Scenario 1: direct-message latency at several fixed offered rates, open loop. */
final class LatencyScenario implements Scenario {

  @Override
  public String id() {
    return "latency";
  }

  @Override
  public String title() {
    return "1. Direct latency (open loop, intended send time to receipt)";
  }

  @Override
  public String method(BenchOptions o) {
    return o.clients() / 2 + " pairs, " + o.payloadChars() + "-char bodies, each rate for "
        + perPoint(o).toMillis() + " ms after a " + warmUp(o).toMillis()
        + " ms warm-up; * = saturated (achieved < 99% of offered or messages lost)";
  }

  static Duration warmUp(BenchOptions o) {
    return OpenLoop.clamp(o.duration().dividedBy(5), Duration.ofMillis(200), Duration.ofSeconds(5));
  }

  static Duration perPoint(BenchOptions o) {
    return OpenLoop.clamp(
        o.duration().dividedBy(o.rates().size()), Duration.ofMillis(200), Duration.ofMinutes(5));
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome out = Outcome.empty();
    try (PairLoad load = PairLoad.open(target, o, names)) {
      load.loop.run(o.rates().get(0), warmUp(o));
      List<OpenLoop.Point> points = new ArrayList<>();
      for (double rate : o.rates()) {
        points.add(load.loop.run(rate, perPoint(o)));
      }
      for (OpenLoop.Point p : points) {
        String at = " @ " + rate(p.offeredPerSec());
        out.add("p50" + at, p.p50Ms(), "ms", false, p.saturated());
        out.add("p99" + at, p.p99Ms(), "ms", false, p.saturated());
        out.add("p99.9" + at, p.p999Ms(), "ms", false, p.saturated());
        out.add("achieved" + at, p.achievedPerSec(), "msg/s", true, p.saturated());
      }
      out.detail("points", points);
    }
    return out;
  }

  static String rate(double perSec) {
    return String.format("%,.0f/s", perSec);
  }
}
