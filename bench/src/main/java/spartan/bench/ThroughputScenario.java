package spartan.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Scenario 2: the highest delivered rate the binding sustains with p99 under 10 ms. The offered
 * rate doubles until a step fails (p99 ≥ 10 ms or saturated), then bisects between the last
 * good and the first bad rate; at most {@value #MAX_STEPS} steps.
 */
final class ThroughputScenario implements Scenario {
  static final double P99_LIMIT_MS = 10;
  static final int MAX_STEPS = 12;
  static final double FIRST_RATE = 1000;

  @Override
  public String id() {
    return "throughput";
  }

  @Override
  public String title() {
    return "2. Direct throughput (max sustained with p99 < 10 ms)";
  }

  @Override
  public String method(BenchOptions o) {
    return o.clients() / 2 + " pairs, offered rate doubled from " + (int) FIRST_RATE
        + "/s then bisected, " + step(o).toMillis() + " ms per step, at most " + MAX_STEPS
        + " steps or 2x --duration, a failing rate tried twice; CPU per million delivered: process CPU time "
        + "(OperatingSystemMXBean, includes JIT and GC) and Java threads' (ThreadMXBean)";
  }

  static Duration step(BenchOptions o) {
    return OpenLoop.clamp(o.duration().dividedBy(5), Duration.ofMillis(250), Duration.ofSeconds(10));
  }

  static boolean passes(OpenLoop.Point p) {
    return !p.saturated() && p.p99Ms() < P99_LIMIT_MS;
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome out = Outcome.empty();
    try (PairLoad load = PairLoad.open(target, o, names)) {
      load.loop.run(FIRST_RATE, LatencyScenario.warmUp(o));
      List<OpenLoop.Point> steps = new ArrayList<>();
      double rate = FIRST_RATE;
      OpenLoop.Point good = null;
      OpenLoop.Point bad = null;
      long deadline = System.nanoTime() + o.duration().toNanos() * 2;
      for (int i = 0; i < MAX_STEPS && System.nanoTime() < deadline; i++) {
        OpenLoop.Point p = load.loop.run(rate, step(o));
        steps.add(p);
        if (!passes(p) && i + 1 < MAX_STEPS) {
          // On a shared machine one scheduling hiccup can fail a step: a rate fails only twice.
          p = load.loop.run(rate, step(o));
          steps.add(p);
          i++;
        }
        if (passes(p)) {
          good = good == null || p.achievedPerSec() > good.achievedPerSec() ? p : good;
          rate = bad == null ? rate * 2 : (rate + bad.offeredPerSec()) / 2;
        } else {
          bad = bad == null || p.offeredPerSec() < bad.offeredPerSec() ? p : bad;
          rate = good == null ? rate / 2 : (good.offeredPerSec() + rate) / 2;
        }
        if (rate < 50
            || (good != null && bad != null && bad.offeredPerSec() / good.offeredPerSec() < 1.15)) {
          break;
        }
      }
      OpenLoop.Point best =
          steps.stream()
              .filter(ThroughputScenario::passes)
              .max(Comparator.comparingDouble(OpenLoop.Point::achievedPerSec))
              .orElse(null);
      if (best == null) {
        out.add("max sustained", Double.NaN, "msg/s", true)
            .note("no step met p99 < 10 ms unsaturated, down to the lowest rate tried");
      } else {
        out.add("max sustained", best.achievedPerSec(), "msg/s", true);
        out.add("p99 there", best.p99Ms(), "ms", false);
        out.add("CPU per 1M msgs", best.cpuSecPerMillion(), "CPU-s", false);
        out.add("thread CPU per 1M msgs", best.threadCpuSecPerMillion(), "CPU-s", false);
        if (!target.statsIncludeGenerator()) {
          out.add("server CPU per 1M msgs", best.serverCpuSecPerMillion(), "CPU-s", false);
        }
      }
      if (bad != null) {
        out.add("first failing offer", bad.offeredPerSec(), "msg/s", true);
      }
      out.detail("best", best).detail("steps", steps);
    }
    return out;
  }
}
