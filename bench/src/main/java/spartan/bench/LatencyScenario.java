package spartan.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scenario 2: direct-message latency, open loop, at fixed fractions ({@code --load}, default 25,
 * 50 and 75%) of the binding's own capacity as scenario 1 measured it (measured here first if
 * scenario 1 did not run), so every binding is compared at the same relative load; or at fixed
 * offered rates ({@code --rate}).
 */
final class LatencyScenario implements Scenario {

  @Override
  public String id() {
    return "latency";
  }

  @Override
  public String title() {
    return "2. Direct latency (open loop, intended send time to receipt)";
  }

  @Override
  public String method(BenchOptions o) {
    String at =
        o.rates().isEmpty()
            ? "at " + percentages(o.loads()) + " of each binding's capacity (scenario 1)"
            : "at the offered rates given";
    return o.clients() / 2 + " pairs, " + o.payloadChars() + "-char bodies, " + at + ", each for "
        + perPoint(o).toMillis() + " ms after a " + o.warmup().toMillis()
        + " ms warm-up at the first; * = saturated (achieved < 99% of offered or messages lost)";
  }

  static Duration perPoint(BenchOptions o) {
    int points = o.rates().isEmpty() ? o.loads().size() : o.rates().size();
    return OpenLoop.clamp(
        o.duration().dividedBy(points), Duration.ofMillis(200), Duration.ofMinutes(5));
  }

  /**
   * The offered rates for a binding: {@code --rate} as given, else each {@code --load} fraction
   * of {@code capacity}.
   */
  static List<Double> rates(BenchOptions o, double capacity) {
    if (!o.rates().isEmpty()) {
      return o.rates();
    }
    return o.loads().stream().map(f -> Math.max(1, Math.round(f * capacity)) * 1.0).toList();
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome out = Outcome.empty();
    double capacity = Double.NaN;
    if (o.rates().isEmpty()) {
      Outcome throughput = earlier.get("throughput");
      if (throughput == null || Double.isNaN(throughput.value(ThroughputScenario.CAPACITY))) {
        throughput = new ThroughputScenario().run(target, o, names, earlier);
      }
      capacity = throughput.value(ThroughputScenario.CAPACITY);
      if (Double.isNaN(capacity)) {
        return out.note("no capacity measured (no unsaturated step), so no rates to offer");
      }
    }
    List<Double> rates = rates(o, capacity);
    try (PairLoad load = PairLoad.open(target, o, names)) {
      if (!o.warmup().isZero()) {
        load.loop.run(rates.get(0), o.warmup());
      }
      List<OpenLoop.Point> points = new ArrayList<>();
      for (double rate : rates) {
        points.add(load.loop.run(rate, perPoint(o)));
      }
      for (int i = 0; i < points.size(); i++) {
        OpenLoop.Point p = points.get(i);
        String at =
            o.rates().isEmpty()
                ? " @ " + percentages(List.of(o.loads().get(i)))
                : " @ " + rate(p.offeredPerSec());
        if (o.rates().isEmpty()) {
          out.add("offered" + at, p.offeredPerSec(), "msg/s", true);
        }
        out.add("p50" + at, p.p50Ms(), "ms", false, p.saturated());
        out.add("p99" + at, p.p99Ms(), "ms", false, p.saturated());
        out.add("p99.9" + at, p.p999Ms(), "ms", false, p.saturated());
        out.add("achieved" + at, p.achievedPerSec(), "msg/s", true, p.saturated());
        out.add(CpuWindow.label(target) + " per 1M msgs" + at,
            target.statsIncludeGenerator() ? p.cpuSecPerMillion() : p.serverCpuSecPerMillion(),
            "CPU-s", false);
        if (!Double.isNaN(p.redisCommandsPerMessage())) {
          out.add("Redis commands per msg" + at, p.redisCommandsPerMessage(), "", false);
          out.add("Redis CPU per 1M msgs" + at, p.redisCpuSecPerMillion(), "CPU-s", false);
        }
      }
      out.detail("capacity", capacity).detail("points", points);
    }
    return out;
  }

  static String rate(double perSec) {
    return String.format(Locale.ROOT, "%,.0f/s", perSec);
  }

  static String percentages(List<Double> fractions) {
    List<String> out = new ArrayList<>();
    for (double f : fractions) {
      out.add(String.format(Locale.ROOT, "%.0f%%", f * 100));
    }
    return String.join(", ", out);
  }
}
