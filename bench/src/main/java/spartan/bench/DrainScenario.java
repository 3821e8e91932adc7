package spartan.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Scenario 6: M messages queued for an offline user, delivered when it logs in. */
final class DrainScenario implements Scenario {
  static final int WINDOW = 1000;

  @Override
  public String id() {
    return "drain";
  }

  @Override
  public String title() {
    return "6. Offline drain";
  }

  /** Messages queued and drained once, unmeasured, before the measured drain warms its path. */
  static final int WARM_UP_MESSAGES = 2000;

  @Override
  public String method(BenchOptions o) {
    return o.offlineMessages() + " messages queued (at most " + WINDOW
        + " unacknowledged sends), then timed from login to the last receipt, after an"
        + " unmeasured drain of " + WARM_UP_MESSAGES + "; server CPU per million queued and"
        + " per million drained";
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    if (!o.warmup().isZero()) {
      drain(target, o, names, Math.min(WARM_UP_MESSAGES, o.offlineMessages()));
    }
    return drain(target, o, names, o.offlineMessages());
  }

  private static Outcome drain(Target target, BenchOptions o, UserNames names, int m)
      throws Exception {
    List<String> users = names.next(2);
    target.createUsers(users);
    String pad = "x".repeat(o.payloadChars());
    Target.Peer sender = target.login(users.get(0), (from, text, now) -> {});
    Target.Peer receiver = null;
    try {
      Semaphore window = new Semaphore(WINDOW);
      AtomicLong sendErrors = new AtomicLong();
      CpuWindow queueCpu = CpuWindow.open(target);
      long q0 = System.nanoTime();
      for (int i = 0; i < m; i++) {
        if (!window.tryAcquire(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("sends stopped completing while queueing");
        }
        sender.send(users.get(1), "d:" + i + ":" + pad).whenComplete((ok, err) -> {
          if (err != null) {
            sendErrors.incrementAndGet();
          }
          window.release();
        });
      }
      if (!window.tryAcquire(WINDOW, 60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("sends did not complete");
      }
      if (target instanceof RelayTarget) {
        RelayTarget.sync(sender);
      }
      long queueNanos = System.nanoTime() - q0;
      double queueCpuPerMillion = queueCpu.perMillion(m);
      CpuWindow drainCpu = CpuWindow.open(target);

      AtomicLong got = new AtomicLong();
      AtomicLong last = new AtomicLong();
      CountDownLatch all = new CountDownLatch(1);
      long expected = m - sendErrors.get();
      long t0 = System.nanoTime();
      receiver =
          target.login(
              users.get(1),
              (from, text, now) -> {
                if (text.startsWith("d:")) {
                  last.set(now);
                  if (got.incrementAndGet() >= expected) {
                    all.countDown();
                  }
                }
              });
      boolean complete = all.await(60 + m / 1000, TimeUnit.SECONDS);
      long drain = (complete ? last.get() : System.nanoTime()) - t0;
      double drainCpuPerMillion = drainCpu.perMillion(got.get());
      Outcome out = Outcome.empty();
      out.add("drain rate", got.get() * 1e9 / drain, "msg/s", true, !complete);
      out.add("time to drain", drain / 1e6, "ms", false, !complete);
      out.add("queueing rate", m * 1e9 / queueNanos, "msg/s", true);
      out.add("delivered", got.get(), "msgs", true);
      out.add(CpuWindow.label(target) + " per 1M drained", drainCpuPerMillion, "CPU-s", false);
      out.add(CpuWindow.label(target) + " per 1M queued", queueCpuPerMillion, "CPU-s", false);
      if (!complete) {
        out.note("only " + got.get() + " of " + expected + " arrived");
      }
      if (sendErrors.get() > 0) {
        out.note(sendErrors.get() + " sends failed");
      }
      return out;
    } finally {
      sender.close();
      if (receiver != null) {
        receiver.close();
      }
    }
  }
}
