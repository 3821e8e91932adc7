package spartan.bench;

import java.util.Map;
import redis.clients.jedis.Jedis;
import spartan.core.ChatService;
import spartan.core.decorate.ChatDecorator;
import spartan.core.limit.RateLimit;
import spartan.core.limit.RateLimiter;

/**
 * Scenario 7: what the rate limiter costs — scenario 1 with the limiter off (scenario 1's own
 * figure when it ran), then with the core behind the {@link ChatDecorator} and a local limiter,
 * then a Redis one on a private {@code redis-server}. The limit is set to the most a limit can be
 * ({@link RateLimit#MAX} per second and burst) so nothing is refused: what shows is the check's
 * cost, not its effect. Needs the server in-process; the relay has no limiter.
 */
final class LimiterScenario implements Scenario {
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
    return "7. Rate-limiter cost (scenario 1, limiter off / local / Redis)";
  }

  @Override
  public String method(BenchOptions o) {
    return "off = scenario 1; local and Redis = scenario 1 again with the core behind ChatDecorator "
        + "and that limiter, limit " + RateLimit.MAX + "/s so nothing is refused; Redis is a "
        + "private redis-server on loopback";
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome off = earlier.get("throughput");
    if (off == null) {
      off = new ThroughputScenario().run(target, o, names, earlier);
    }
    Outcome out = Outcome.empty();
    add(out, "limiter off", off, null);
    if (target.name().equals(Deployment.RELAY)) {
      return out.note("the relay has no limiter");
    }
    if (!deployment.isInProcess()) {
      return out.note("limiter variants need the server in-process (--server inproc): a forked"
          + " 'spartan server' always runs its configured limiter");
    }
    // The target passed in is the undecorated one: close it so only one server runs at a time.
    target.close();
    try (RateLimiter local = RateLimiter.builder().perSecond(RateLimit.MAX).burst(RateLimit.MAX).build()) {
      Outcome r = measure(target.name(), local, o, names);
      add(out, "local limiter", r, off);
    }
    try (RedisServerProcess redis = RedisServerProcess.start();
        RateLimiter shared =
            RateLimiter.builder()
                .perSecond(RateLimit.MAX)
                .burst(RateLimit.MAX)
                .redis(redis.url())
                .build()) {
      Outcome r = measure(target.name(), shared, o, names);
      add(out, "Redis limiter", r, off);
      try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
        // The script reads each checked key once; the limiter sends one script call per batch.
        long scripts = commandCalls(j, "evalsha");
        long checks = commandCalls(j, "get");
        out.note(
            String.format(
                "Redis ran the script %d times for %d checks, %.1f checks a call (0 would mean the"
                    + " limiter fell back to local)",
                scripts, checks, scripts == 0 ? 0.0 : (double) checks / scripts));
      }
    }
    return out;
  }

  private Outcome measure(String binding, RateLimiter limiter, BenchOptions o, UserNames names)
      throws Exception {
    // As the server does: a call whose permit comes later goes ahead on the core's blocking pool.
    try (Target t =
        deployment.openDecorated(
            Binding.parse(binding),
            (service, blocking) ->
                ChatDecorator.builder().rateLimiter(limiter, blocking).build().decorate(service))) {
      return new ThroughputScenario().run(t, o, names, Map.of());
    }
  }

  /** Adds one variant's rows; with {@code off} given, also its capacity relative to no limiter. */
  private static void add(Outcome out, String variant, Outcome r, Outcome off) {
    out.add(variant + ": max sustained", r.value("max sustained"), "msg/s", true);
    double capacity = r.value(ThroughputScenario.CAPACITY);
    out.add(variant + ": max unsaturated", capacity, "msg/s", true);
    out.add(variant + ": CPU per 1M msgs", r.value("CPU per 1M msgs"), "CPU-s", false);
    if (off != null) {
      out.add(variant + ": unsaturated vs off", capacity / off.value(ThroughputScenario.CAPACITY),
          "", true);
      r.notes().forEach(n -> out.note(variant + ": " + n));
    }
  }

  /** How often Redis ran {@code command}, counting calls from inside scripts. */
  private static long commandCalls(Jedis j, String command) {
    String prefix = "cmdstat_" + command + ":calls=";
    for (String line : j.info("commandstats").split("\\r?\\n")) {
      if (line.startsWith(prefix)) {
        int end = line.indexOf(',', prefix.length());
        return Long.parseLong(line.substring(prefix.length(), end < 0 ? line.length() : end));
      }
    }
    return 0;
  }
}
