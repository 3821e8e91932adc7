package spartan.bench;

import java.util.Map;

/**
 * Scenario 7: what the rate limiter costs — scenario 2 with the limiter off, against local and
 * Redis limiters. The limiter/decorator is not on main yet, so only the "off" figure is
 * measured (reusing scenario 2 when it ran); the other two are reported as TODO.
 */
final class LimiterScenario implements Scenario {
  static final String LIMITER_PACKAGE = "spartan.core.limit";

  private final Deployment deployment;

  LimiterScenario(Deployment deployment) {
    this.deployment = deployment;
  }

  @Override
  public String id() {
    return "limiter";
  }

  @Override
  public String title() {
    return "7. Rate-limiter cost (scenario 2, limiter off / local / Redis)";
  }

  @Override
  public String method(BenchOptions o) {
    return "limiter off = scenario 2's figure; local and Redis variants: TODO, the limiter "
        + "(spartan.core.limit / spartan.core.decorate) is not on main yet";
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome off = earlier.get("throughput");
    if (off == null) {
      off = new ThroughputScenario().run(target, o, names, earlier);
    }
    Outcome out = Outcome.empty();
    out.add("limiter off: max sustained", off.value("max sustained"), "msg/s", true);
    out.add("limiter off: CPU per 1M msgs", off.value("CPU per 1M msgs"), "CPU-s", false);
    out.add("local limiter: max sustained", Double.NaN, "msg/s", true);
    out.add("Redis limiter: max sustained", Double.NaN, "msg/s", true);
    out.note("TODO: local and Redis limiter variants wait for " + LIMITER_PACKAGE
        + " on main (issue 8, scenario 7)");
    return out;
  }
}
