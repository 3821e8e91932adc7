package spartan.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Logs many peers in at once, with a bounded number of threads and a bounded wait. */
final class Peers {
  private Peers() {}

  static final int LOGIN_THREADS = 16;

  /** Logs every user in with {@code handler}; fails (after closing what opened) if any fails. */
  static List<Target.Peer> loginAll(Target target, List<String> users, Target.MessageHandler handler)
      throws InterruptedException {
    return loginAll(target, users, handler, Target.Side.SENDER);
  }

  /** Logs every user in on {@code side}'s node; fails (after closing what opened) if any fails. */
  static List<Target.Peer> loginAll(
      Target target, List<String> users, Target.MessageHandler handler, Target.Side side)
      throws InterruptedException {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(LOGIN_THREADS, users.size())), BenchThreads.daemon("bench-login"));
    List<Future<Target.Peer>> futures = new ArrayList<>();
    try {
      for (String u : users) {
        futures.add(pool.submit(() -> target.login(u, handler, side)));
      }
      List<Target.Peer> peers = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + users.size() / 10);
      RuntimeException failure = null;
      for (Future<Target.Peer> f : futures) {
        try {
          peers.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (ExecutionException | TimeoutException e) {
          if (failure == null) {
            failure = new IllegalStateException("login failed on " + target.name() + ": "
                + (e.getCause() != null ? e.getCause() : e), e);
          }
        }
      }
      if (failure != null) {
        peers.forEach(Target.Peer::close);
        throw failure;
      }
      return peers;
    } finally {
      pool.shutdownNow();
    }
  }

  static void closeAll(List<Target.Peer> peers) {
    peers.forEach(Target.Peer::close);
  }
}
