package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenLoopTest {
  static volatile byte[] sink;

  @Test
  void perThreadAllocationCountsWhatThisThreadAllocated() {
    long me = Thread.currentThread().getId();
    Map<Long, Long> before = OpenLoop.threadAllocated();
    assertThat(before).as("HotSpot tracks per-thread allocation").containsKey(me);

    sink = new byte[8 << 20];

    assertThat(OpenLoop.threadAllocated().get(me) - before.get(me))
        .isGreaterThanOrEqualTo(8L << 20);
  }
}
