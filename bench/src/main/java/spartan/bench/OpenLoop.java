package spartan.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop load: messages leave on a fixed schedule whatever the server does, and each
 * one's latency runs from its <em>intended</em> send time to its receipt, so a stalled server
 * shows up as latency instead of silently slowing the senders (no coordinated omission). The
 * intended time travels in the message body, which is why senders and receivers share this
 * process's {@link System#nanoTime()}.
 *
 * <p>Not thread-safe: one {@link #run} at a time. Receivers' {@link #handler()} is thread-safe.
 */
final class OpenLoop {
  /** One direction of a pair. */
  record Route(Target.Peer from, String to) {}

  /**
   * One measured rate.
   *
   * @param offeredPerSec the schedule's rate
   * @param achievedPerSec delivered messages over the span between the first and last receipt
   * @param saturated achieved below 99% of offered, or messages lost
   * @param cpuSecPerMillion this process's CPU per million delivered messages (server and
   *     generator when the server is in-process)
   * @param threadCpuSecPerMillion the same from the CPU time of this process's live Java
   *     threads (ThreadMXBean): it leaves out the JIT compiler and GC, which short runs inflate
   * @param serverCpuSecPerMillion the server process's alone, when it runs elsewhere; NaN if unknown
   * @param switchesPerMessage this process's context switches per delivered message (see {@link
   *     ServerStats#contextSwitches}); NaN where unknown
   * @param allocatedBytesPerMessage heap this process's live Java threads allocated per delivered
   *     message (ThreadMXBean); what sets how often the young GC runs; NaN where unknown
   * @param redisCommandsPerMessage commands the shared Redis ran per delivered message (those
   *     inside scripts included; see {@link RedisInfo}); NaN without a Redis store
   * @param redisCpuSecPerMillion the Redis process's CPU per million delivered messages; NaN
   *     without a Redis store
   * @param redisCalls the commands Redis ran most, per delivered message ({@code evalsha 1.00,
   *     xadd 1.00}); empty without a Redis store
   */
  record Point(
      double offeredPerSec,
      double achievedPerSec,
      boolean saturated,
      long sent,
      long delivered,
      long sendErrors,
      long lost,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double p999Ms,
      double maxMs,
      double seconds,
      double cpuSecPerMillion,
      double threadCpuSecPerMillion,
      double serverCpuSecPerMillion,
      double switchesPerMessage,
      double allocatedBytesPerMessage,
      double redisCommandsPerMessage,
      double redisCpuSecPerMillion,
      String redisCalls) {}

  private static final AtomicInteger RUN_IDS = new AtomicInteger();

  private final int payloadChars;
  private final Target target;
  private List<Route> routes = List.of();
  private volatile Run current;

  /** Log receivers in with {@link #handler()}, then give the routes with {@link #routes}. */
  OpenLoop(Target target, int payloadChars) {
    this.target = target;
    this.payloadChars = payloadChars;
  }

  void routes(List<Route> routes) {
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("an open loop needs at least one route");
    }
    this.routes = List.copyOf(routes);
  }

  /** The handler every receiving peer must be logged in with. */
  Target.MessageHandler handler() {
    return (from, text, now) -> onMessage(text, now);
  }

  private void onMessage(String text, long now) {
    Run r = current;
    if (r == null) {
      return;
    }
    // Body: "<runId>:<intendedNanos>:<padding>"; anything else (an old run's message) is ignored.
    int c1 = text.indexOf(':');
    int c2 = c1 < 0 ? -1 : text.indexOf(':', c1 + 1);
    if (c2 < 0) {
      return;
    }
    try {
      if (Integer.parseInt(text, 0, c1, 10) != r.id) {
        return;
      }
      r.received(now - Long.parseLong(text, c1 + 1, c2, 10), now);
    } catch (NumberFormatException e) {
      // not one of ours
    }
  }

  /** Offers {@code rate} messages/s for {@code duration}, then waits a bounded grace for stragglers. */
  Point run(double rate, Duration duration) {
    Run r = new Run(RUN_IDS.incrementAndGet());
    current = r;
    int threads = Math.min(routes.size(), 4);
    long durationNanos = duration.toNanos();
    ServerStats server0 = target.statsIncludeGenerator() ? null : target.stats(false);
    RedisInfo redis0 = target.redisInfo();
    long cpu0 = ServerStats.processCpuNanos();
    long switches0 = ServerStats.contextSwitches();
    Map<Long, Long> threads0 = threadCpu();
    Map<Long, Long> allocated0 = threadAllocated();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    long end = start + durationNanos;
    List<Thread> senders = new ArrayList<>();
    AtomicLong sent = new AtomicLong();
    for (int t = 0; t < threads; t++) {
      List<Route> mine = new ArrayList<>();
      for (int i = t; i < routes.size(); i += threads) {
        mine.add(routes.get(i));
      }
      double interval = 1e9 * threads / rate;
      long offset = (long) (interval * t / threads);
      Thread th =
          new Thread(() -> send(r, mine, start + offset, interval, end, sent), "bench-sender-" + t);
      th.setDaemon(true);
      senders.add(th);
      th.start();
    }
    for (Thread th : senders) {
      try {
        // Senders stop at the end of the schedule; a send that blocks is the only way to be late.
        th.join(durationNanos / 1_000_000 + 30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    r.expect(sent.get());
    Duration grace = clamp(duration, Duration.ofSeconds(1), Duration.ofSeconds(10));
    try {
      r.done.await(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long cpu = ServerStats.processCpuNanos() - cpu0;
    long switches1 = ServerStats.contextSwitches();
    long threadCpu = sinceThen(threadCpu(), threads0);
    Map<Long, Long> allocated1 = threadAllocated();
    long allocated = sinceThen(allocated1, allocated0);
    ServerStats server1 = server0 == null ? null : target.stats(false);
    RedisInfo redis1 = redis0 == null ? null : target.redisInfo();
    current = null;

    Histogram h = r.latencyMicros.getIntervalHistogram();
    long delivered = r.delivered.get();
    long errors = r.errors.get();
    long span = r.lastNanos.get() - r.firstNanos.get();
    double achieved =
        delivered > 1 && span > 0
            ? (delivered - 1) * 1e9 / span
            : delivered * 1e9 / durationNanos;
    long lost = Math.max(0, sent.get() - errors - delivered);
    double serverCpu =
        server0 == null || server1 == null || delivered == 0 || server0.cpuNanos() < 0
            ? Double.NaN
            : (server1.cpuNanos() - server0.cpuNanos()) / 1e9 / delivered * 1e6;
    return new Point(
        rate,
        achieved,
        achieved < 0.99 * rate || lost > 0 || errors > 0,
        sent.get(),
        delivered,
        errors,
        lost,
        ms(h, 50),
        ms(h, 90),
        ms(h, 99),
        ms(h, 99.9),
        h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1000.0,
        durationNanos / 1e9,
        delivered == 0 ? Double.NaN : cpu / 1e9 / delivered * 1e6,
        delivered == 0 ? Double.NaN : threadCpu / 1e9 / delivered * 1e6,
        serverCpu,
        delivered == 0 || switches0 < 0 || switches1 < 0
            ? Double.NaN
            : (double) (switches1 - switches0) / delivered,
        delivered == 0 || allocated1.isEmpty() ? Double.NaN : (double) allocated / delivered,
        redis1 == null || delivered == 0
            ? Double.NaN
            : (double) redis1.commandsSince(redis0) / delivered,
        redis1 == null || delivered == 0
            ? Double.NaN
            : redis1.cpuSecondsSince(redis0) / delivered * 1e6,
        redis1 == null || delivered == 0 ? "" : topCalls(redis1.callsSince(redis0), delivered));
  }

  /** The five commands Redis ran most, per delivered message. */
  static String topCalls(Map<String, Long> calls, long delivered) {
    StringBuilder sb = new StringBuilder();
    calls.entrySet().stream()
        .limit(5)
        .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
            .append(String.format(java.util.Locale.ROOT, "%.2f", (double) e.getValue() / delivered)));
    return sb.toString();
  }

  private void send(Run r, List<Route> mine, long first, double interval, long end, AtomicLong sent) {
    StringBuilder pad = new StringBuilder();
    while (pad.length() < payloadChars) {
      pad.append('x');
    }
    String padding = pad.toString();
    for (long i = 0; ; i++) {
      long intended = first + (long) (i * interval);
      if (intended >= end) {
        return;
      }
      for (long now = System.nanoTime(); now < intended; now = System.nanoTime()) {
        LockSupport.parkNanos(intended - now);
      }
      Route route = mine.get((int) (i % mine.size()));
      String text = r.id + ":" + intended + ":" + padding;
      sent.incrementAndGet();
      try {
        route.from().send(route.to(), text).whenComplete((ok, err) -> {
          if (err != null) {
            r.failed();
          }
        });
      } catch (RuntimeException e) {
        r.failed();
      }
    }
  }

  /** Per offered rate, the median of each field over runs (runs list the same rates in order). */
  static List<Point> medianPoints(List<List<Point>> runs) {
    if (runs.size() == 1) {
      return runs.get(0);
    }
    List<Point> out = new ArrayList<>();
    int n = runs.stream().mapToInt(List::size).min().orElse(0);
    for (int i = 0; i < n; i++) {
      int k = i;
      List<Point> at = runs.stream().map(r -> r.get(k)).toList();
      java.util.function.ToDoubleFunction<java.util.function.ToDoubleFunction<Point>> m =
          f -> Outcome.medianOf(at.stream().map(p -> f.applyAsDouble(p)).filter(v -> !Double.isNaN(v))
              .toList());
      long saturated = at.stream().filter(Point::saturated).count();
      out.add(new Point(
          at.get(0).offeredPerSec(),
          m.applyAsDouble(Point::achievedPerSec),
          saturated * 2 > at.size(),
          (long) m.applyAsDouble(p -> p.sent()),
          (long) m.applyAsDouble(p -> p.delivered()),
          (long) m.applyAsDouble(p -> p.sendErrors()),
          (long) m.applyAsDouble(p -> p.lost()),
          m.applyAsDouble(Point::p50Ms),
          m.applyAsDouble(Point::p90Ms),
          m.applyAsDouble(Point::p99Ms),
          m.applyAsDouble(Point::p999Ms),
          m.applyAsDouble(Point::maxMs),
          m.applyAsDouble(Point::seconds),
          m.applyAsDouble(Point::cpuSecPerMillion),
          m.applyAsDouble(Point::threadCpuSecPerMillion),
          m.applyAsDouble(Point::serverCpuSecPerMillion),
          m.applyAsDouble(Point::switchesPerMessage),
          m.applyAsDouble(Point::allocatedBytesPerMessage),
          m.applyAsDouble(Point::redisCommandsPerMessage),
          m.applyAsDouble(Point::redisCpuSecPerMillion),
          at.get(0).redisCalls()));
    }
    return out;
  }

  /** The growth of per-thread counters since {@code then}; threads new since then count from 0. */
  private static long sinceThen(Map<Long, Long> now, Map<Long, Long> then) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : now.entrySet()) {
      sum += e.getValue() - then.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }

  /** Heap bytes each live Java thread has allocated, by id; empty where the JVM cannot tell. */
  static Map<Long, Long> threadAllocated() {
    Map<Long, Long> out = new HashMap<>();
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean tm
        && tm.isThreadAllocatedMemorySupported()
        && tm.isThreadAllocatedMemoryEnabled()) {
      long[] ids = tm.getAllThreadIds();
      long[] bytes = tm.getThreadAllocatedBytes(ids);
      for (int i = 0; i < ids.length; i++) {
        if (bytes[i] >= 0) {
          out.put(ids[i], bytes[i]);
        }
      }
    }
    return out;
  }

  /** CPU time of every live Java thread, by id; threads that end meanwhile are not counted. */
  static Map<Long, Long> threadCpu() {
    ThreadMXBean tm = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new HashMap<>();
    if (!tm.isThreadCpuTimeSupported()) {
      return out;
    }
    for (long id : tm.getAllThreadIds()) {
      long t = tm.getThreadCpuTime(id);
      if (t > 0) {
        out.put(id, t);
      }
    }
    return out;
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
  }

  static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  /** One run's counters; the id in each body tells its messages from an earlier run's. */
  private static final class Run {
    final int id;
    final Recorder latencyMicros = new Recorder(3);
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong firstNanos = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong lastNanos = new AtomicLong(Long.MIN_VALUE);
    final CountDownLatch done = new CountDownLatch(1);
    volatile long expected = Long.MAX_VALUE;

    Run(int id) {
      this.id = id;
    }

    void received(long latencyNanos, long now) {
      latencyMicros.recordValue(Math.max(0, latencyNanos / 1000));
      firstNanos.accumulateAndGet(now, Math::min);
      lastNanos.accumulateAndGet(now, Math::max);
      delivered.incrementAndGet();
      check();
    }

    void failed() {
      errors.incrementAndGet();
      check();
    }

    void expect(long n) {
      expected = n;
      check();
    }

    private void check() {
      if (delivered.get() + errors.get() >= expected) {
        done.countDown();
      }
    }
  }
}
