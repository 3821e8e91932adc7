package spartan.core.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerializingExecutorTest {
  /** An executor that holds tasks until the test runs them. */
  private final ArrayDeque<Runnable> held = new ArrayDeque<>();

  @Test
  void tasksRunInOrderAndThoseArrivingTogetherShareOneHandOff() {
    SerializingExecutor lane = new SerializingExecutor(held::add);
    List<Integer> ran = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      int n = i;
      lane.execute(() -> ran.add(n));
    }
    assertThat(held).hasSize(1);
    held.poll().run();
    assertThat(ran).containsExactly(0, 1, 2, 3, 4);
    lane.execute(() -> ran.add(5));
    assertThat(held).as("idle again: the next task is a new hand-off").hasSize(1);
    held.poll().run();
    assertThat(ran).endsWith(5);
  }

  @Test
  void aTaskAddedWhileTheLaneRunsJoinsTheSameTurn() {
    SerializingExecutor lane = new SerializingExecutor(held::add);
    List<String> ran = new ArrayList<>();
    lane.execute(
        () -> {
          ran.add("first");
          lane.execute(() -> ran.add("added meanwhile"));
        });
    held.poll().run();
    assertThat(ran).containsExactly("first", "added meanwhile");
    assertThat(held).isEmpty();
  }

  @Test
  void aThrowingTaskDoesNotStopTheLane() {
    SerializingExecutor lane = new SerializingExecutor(held::add);
    List<String> ran = new ArrayList<>();
    lane.execute(
        () -> {
          throw new IllegalStateException("a subscriber's bug");
        });
    lane.execute(() -> ran.add("after"));
    held.poll().run();
    assertThat(ran).containsExactly("after");
  }

  @Test
  void aRejectedHandOffDropsWhatWaitsThrowsAndLeavesTheLaneUsable() {
    boolean[] closed = {true};
    List<String> ran = new ArrayList<>();
    SerializingExecutor lane =
        new SerializingExecutor(
            r -> {
              if (closed[0]) {
                throw new RejectedExecutionException("closed");
              }
              r.run();
            });
    assertThatThrownBy(() -> lane.execute(() -> ran.add("dropped")))
        .isInstanceOf(RejectedExecutionException.class);
    closed[0] = false;
    lane.execute(() -> ran.add("runs"));
    assertThat(ran).containsExactly("runs");
  }

  @Test
  void aCallbackLaneDropsTasksOnceItsExecutorIsClosedWithoutThrowing() {
    boolean[] closed = {true};
    List<String> ran = new ArrayList<>();
    CallbackLane lane =
        new CallbackLane(
            r -> {
              if (closed[0]) {
                throw new RejectedExecutionException("closed");
              }
              r.run();
            });
    lane.execute(() -> ran.add("dropped"));
    closed[0] = false;
    lane.execute(() -> ran.add("runs"));
    assertThat(ran).containsExactly("runs");
  }

  @Test
  void aCoalescingSignalQueuesOneRunHoweverOftenItFiresAndNeverMissesALateOne() {
    SerializingExecutor lane = new SerializingExecutor(held::add);
    AtomicInteger runs = new AtomicInteger();
    Runnable[] signal = new Runnable[1];
    signal[0] =
        SerializingExecutor.coalescing(
            lane,
            () -> {
              if (runs.incrementAndGet() == 1) {
                signal[0].run(); // news arriving during a run asks for one more run
              }
            });
    for (int i = 0; i < 5; i++) {
      signal[0].run();
    }
    assertThat(held).hasSize(1);
    held.poll().run();
    assertThat(runs).hasValue(2);
    assertThat(held).isEmpty();
  }
}
