package spartan.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Scenario 3: one member sends to a group of 10, 100 or 1000. First single messages, one at a
 * time, each timed until the last member has it; then a burst of messages sent back to back,
 * timed until every member has every one (deliveries/s), with this process's CPU per delivery —
 * roughly flat per delivery if the server encodes once per member, falling if once per message.
 */
final class FanoutScenario implements Scenario {
  static final int MAX_SINGLES = 20;
  static final int WARM_UP = 5;
  /**
   * Deliveries a burst aims at, within {@link #MIN_BURST} and {@link #MAX_BURST} messages. At
   * 20,000 (and at most 500 messages) a group of ten's burst lasted 10 to 30 ms, and one
   * collection or checkpoint moved its figure by half.
   */
  static final int BURST_DELIVERIES = 200_000;

  static final int MIN_BURST = 5;
  static final int MAX_BURST = 20_000;
  /** Burst sends in flight at once: what a busy client pipelines, well inside server bounds. */
  static final int BURST_WINDOW = 256;

  @Override
  public String id() {
    return "fanout";
  }

  @Override
  public String title() {
    return "3. Group fan-out";
  }

  @Override
  public String method(BenchOptions o) {
    return "each member its own connection; after at least " + WARM_UP
        + " unmeasured messages (and " + o.warmup().dividedBy(o.groupSizes().size()).toMillis()
        + " ms of them), "
        + "'last member' = send to the last member's receipt, up to " + MAX_SINGLES
        + " single messages; burst = about " + BURST_DELIVERIES + " deliveries (" + MIN_BURST
        + " to " + MAX_BURST + " messages) sent back to back, " + BURST_WINDOW
        + " sends in flight; CPU is this process's CPU per 1000 deliveries (server"
        + " and generator in-process), server CPU the forked server's per million";
  }

  /** Counts deliveries and opens a latch when an expected total is reached. */
  private static final class Counter {
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong lastNanos = new AtomicLong();
    volatile long expected = Long.MAX_VALUE;
    volatile CountDownLatch reached = new CountDownLatch(1);

    void onMessage(long now) {
      lastNanos.accumulateAndGet(now, Math::max);
      if (delivered.incrementAndGet() >= expected) {
        reached.countDown();
      }
    }

    /** Arms the latch for {@code more} deliveries after those counted so far. */
    CountDownLatch expect(long more) {
      CountDownLatch l = new CountDownLatch(1);
      reached = l;
      expected = delivered.get() + more;
      if (delivered.get() >= expected) {
        l.countDown();
      }
      return l;
    }
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    Outcome out = Outcome.empty();
    List<Map<String, Object>> detail = new ArrayList<>();
    Duration budget = o.duration().dividedBy(2L * o.groupSizes().size());
    for (int size : o.groupSizes()) {
      List<String> users = names.next(size);
      target.createUsers(users);
      Counter counter = new Counter();
      List<Target.Peer> peers =
          Peers.loginAll(target, users, (from, text, now) -> counter.onMessage(now));
      try {
        Target.Peer sender = peers.get(0);
        String group = "g" + users.get(0);
        sender.createGroup(group, users.subList(1, users.size()));
        for (Target.Peer member : peers.subList(1, peers.size())) {
          member.joinGroup(group);
        }
        int receivers = size - 1;
        String pad = "x".repeat(o.payloadChars());

        // Unmeasured first: the first messages through a cold JIT would dominate a short run.
        long warmEnd = System.nanoTime() + o.warmup().dividedBy(o.groupSizes().size()).toNanos();
        for (int i = 0; i < WARM_UP || System.nanoTime() < warmEnd; i++) {
          CountDownLatch all = counter.expect(receivers);
          sender.send("#" + group, "w:" + i + ":" + pad).get(30, TimeUnit.SECONDS);
          if (!all.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("group of " + size + ": warm-up message " + i + " lost");
          }
        }
        Histogram lastMember = new Histogram(3);
        long singlesEnd = System.nanoTime() + budget.toNanos();
        for (int i = 0; i < MAX_SINGLES && (i < 3 || System.nanoTime() < singlesEnd); i++) {
          CountDownLatch all = counter.expect(receivers);
          long t0 = System.nanoTime();
          sender.send("#" + group, "f:" + i + ":" + pad).get(30, TimeUnit.SECONDS);
          if (!all.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("group of " + size + ": not every member got message " + i);
          }
          lastMember.recordValue(Math.max(0, (counter.lastNanos.get() - t0) / 1000));
        }

        int burst = Math.max(MIN_BURST, Math.min(MAX_BURST, BURST_DELIVERIES / receivers));
        CountDownLatch all = counter.expect((long) burst * receivers);
        long cpu0 = ServerStats.processCpuNanos();
        CpuWindow server = CpuWindow.open(target);
        long t0 = System.nanoTime();
        Semaphore window = new Semaphore(BURST_WINDOW);
        List<CompletableFuture<?>> sends = new ArrayList<>(burst);
        for (int i = 0; i < burst; i++) {
          if (!window.tryAcquire(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("group of " + size + ": burst sends stopped completing");
          }
          CompletableFuture<?> f = sender.send("#" + group, "b:" + i + ":" + pad);
          f.whenComplete((ok, err) -> window.release());
          sends.add(f);
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        boolean complete = all.await(60, TimeUnit.SECONDS);
        long elapsed = counter.lastNanos.get() - t0;
        long cpu = ServerStats.processCpuNanos() - cpu0;
        long deliveries = (long) burst * receivers;
        double serverCpu = server.perMillion(deliveries);
        String g = "group " + size + ": ";
        out.add(g + "last member p50", lastMember.getValueAtPercentile(50) / 1000.0, "ms", false);
        out.add(g + "last member max", lastMember.getMaxValue() / 1000.0, "ms", false);
        out.add(g + "deliveries/s", complete ? deliveries * 1e9 / elapsed : Double.NaN, "/s", true,
            !complete);
        out.add(g + "CPU per 1k deliveries", cpu / 1e6 / deliveries * 1000, "CPU-ms", false);
        if (!target.statsIncludeGenerator()) {
          out.add(g + "server CPU per 1M deliveries", serverCpu, "CPU-s", false);
        }
        if (!complete) {
          out.note("group " + size + ": burst incomplete after 60 s");
        }
        detail.add(Map.of(
            "groupSize", size,
            "singles", lastMember.getTotalCount(),
            "lastMemberP50Ms", lastMember.getValueAtPercentile(50) / 1000.0,
            "lastMemberMaxMs", lastMember.getMaxValue() / 1000.0,
            "burstMessages", burst,
            "burstDeliveries", deliveries,
            "burstSeconds", elapsed / 1e9,
            "burstComplete", complete,
            "cpuMsPer1kDeliveries", cpu / 1e6 / deliveries * 1000,
            "serverCpuSecPer1MDeliveries", serverCpu));
      } finally {
        Peers.closeAll(peers);
      }
    }
    out.detail("groups", detail);
    return out;
  }
}
