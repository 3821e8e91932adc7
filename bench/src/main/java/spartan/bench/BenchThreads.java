package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so a stuck benchmark never keeps the JVM alive and thread dumps read well. */
final class BenchThreads {
  private BenchThreads() {}

  /** Reads a child process's output to its end on a daemon thread, so a full pipe never blocks it. */
  static void drain(BufferedReader out, String name) {
    Thread t =
        new Thread(
            () -> {
              try {
                while (out.readLine() != null) {
                  // discard
                }
              } catch (IOException e) {
                // it exited
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
