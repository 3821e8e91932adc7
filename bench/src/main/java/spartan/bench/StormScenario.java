package spartan.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.ConcurrentHistogram;

/** Scenario 4: K clients connect, log in and subscribe at once. */
final class StormScenario implements Scenario {
  static final int THREADS = 32;

  @Override
  public String id() {
    return "storm";
  }

  @Override
  public String title() {
    return "4. Connect/login storm";
  }

  @Override
  public String method(BenchOptions o) {
    return o.logins() + " clients, " + THREADS
        + " at a time, each connecting, logging in and subscribing (accounts made beforehand)";
  }

  @Override
  public Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception {
    List<String> users = names.next(o.logins());
    target.createUsers(users);
    ConcurrentLinkedQueue<Target.Peer> peers = new ConcurrentLinkedQueue<>();
    ConcurrentHistogram micros = new ConcurrentHistogram(3);
    AtomicInteger errors = new AtomicInteger();
    ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS, BenchThreads.daemon("bench-storm"));
    CpuWindow server = CpuWindow.open(target);
    long t0 = System.nanoTime();
    try {
      for (String u : users) {
        pool.execute(
            () -> {
              long s = System.nanoTime();
              try {
                peers.add(target.login(u, (from, text, now) -> {}));
                micros.recordValue((System.nanoTime() - s) / 1000);
              } catch (RuntimeException e) {
                errors.incrementAndGet();
                if (firstErrors.size() < 3) {
                  firstErrors.add(String.valueOf(e));
                }
              }
            });
      }
      pool.shutdown();
      boolean finished = pool.awaitTermination(120 + o.logins() / 10, TimeUnit.SECONDS);
      long elapsed = System.nanoTime() - t0;
      double cpuPerMillion = server.perMillion(peers.size());
      Outcome out = Outcome.empty();
      out.add("logins/s", peers.size() * 1e9 / elapsed, "/s", true);
      out.add("errors", errors.get(), "", false);
      out.add("login p50", micros.getValueAtPercentile(50) / 1000.0, "ms", false);
      out.add("login p99", micros.getValueAtPercentile(99) / 1000.0, "ms", false);
      // Per login, not per million messages: a storm sends none.
      out.add(CpuWindow.label(target) + " per login", cpuPerMillion / 1000, "CPU-ms", false);
      if (!finished) {
        out.note("storm did not finish in time");
      }
      new ArrayList<>(firstErrors).forEach(e -> out.note("error: " + e));
      out.detail("clients", o.logins()).detail("seconds", elapsed / 1e9);
      return out;
    } finally {
      pool.shutdownNow();
      Peers.closeAll(new ArrayList<>(peers));
    }
  }
}
