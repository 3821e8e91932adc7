package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void jcmdHeapInfoIsReadAsTheHeapsUsedFiguresWhateverTheCollector() {
    String g1 =
        """
        4242:
         garbage-first heap   total 262144K, used 23456K [0x00000000f0000000, 0x0000000100000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
         Metaspace       used 30000K, committed 30500K, reserved 1081344K
        """;
    assertThat(ServerStats.heapUsed(g1)).isEqualTo(23456L * 1024);
    String serial =
        """
        4242:
         def new generation   total 4928K, used 0K [0x00000000c0000000, 0x00000000c0550000)
          eden space 4416K,   0% used [0x00000000c0000000, 0x00000000c0000000)
         tenured generation   total 10944K, used 5678K [0x00000000d5550000, 0x00000000d6000000)
           the space 10944K,  51% used [0x00000000d5550000, 0x00000000d6000000)
         Metaspace       used 2345K, committed 2500K, reserved 1056768K
        """;
    assertThat(ServerStats.heapUsed(serial)).as("young and old, not metaspace")
        .isEqualTo(5678L * 1024);
    assertThat(ServerStats.heapUsed("4242:\nno such command\n")).isEqualTo(-1);
  }

  @Test
  void aForkedProcessIsSampledFromOutsideAndAnEndedOneIsNull() throws Exception {
    Process p = new ProcessBuilder("sleep", "30").start();
    try {
      ServerStats s = ServerStats.sampleProcesses(List.of(p.toHandle()), false);
      assertThat(s).isNotNull();
      assertThat(s.heapUsedBytes()).as("no heap asked for").isEqualTo(-1);
      assertThat(s.cpuNanos()).isGreaterThanOrEqualTo(0);
      if (Files.isDirectory(Path.of("/proc/self"))) {
        assertThat(s.rssBytes()).isPositive();
      }
    } finally {
      p.destroy();
      p.waitFor();
    }
    assertThat(ServerStats.sampleProcesses(List.of(p.toHandle()), false)).isNull();
  }

  @Test
  void eachStoreIsPointedToByTheServersOwnFlags() {
    assertThat(ServerNode.storeFlags("memory", Path.of("/d"), null))
        .containsExactly("--store", "memory");
    assertThat(ServerNode.storeFlags("embedded", Path.of("/d"), null))
        .containsExactly("--store", "embedded", "--data", "/d");
    assertThat(ServerNode.storeFlags("redis", Path.of("/d"), "redis://127.0.0.1:7"))
        .containsExactly("--store", "redis", "--redis", "redis://127.0.0.1:7",
            "--cluster-redis", "redis://127.0.0.1:7");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerNode.storeFlags("rocks", Path.of("/d"), null))
        .hasMessageContaining("rocks");
  }
}
