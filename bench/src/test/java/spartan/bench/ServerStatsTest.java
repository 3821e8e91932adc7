package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ServerStatsTest {

  @Test
  void contextSwitchesCountAThreadThatBlockedAndWasWoken() throws Exception {
    if (!Files.isDirectory(Path.of("/proc/self/task"))) {
      assertThat(ServerStats.contextSwitches()).as("no /proc: unknown").isEqualTo(-1);
      return;
    }
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch measured = new CountDownLatch(1);
    long[] after = new long[1];
    Thread t =
        new Thread(
            () -> {
              try {
                parked.countDown();
                release.await(); // blocks: one voluntary switch at least
                after[0] = ServerStats.contextSwitches(); // counted while this thread lives
                measured.countDown();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    t.start();
    parked.await();
    long before = ServerStats.contextSwitches();
    release.countDown();
    measured.await();
    t.join();

    assertThat(before).isGreaterThanOrEqualTo(0);
    assertThat(after[0]).isGreaterThan(before);
  }
}
