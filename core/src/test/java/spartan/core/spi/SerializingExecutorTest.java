package spartan.core.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class CallbackLaneTest {
  /** An executor that holds tasks until the test runs them. */
  private final ArrayDeque<Runnable> held = new ArrayDeque<>();

  @Test
  void tasksRunInOrderAndThoseArrivingTogetherShareOneHandOff() {
    CallbackLane lane = new CallbackLane(held::add);
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
    CallbackLane lane = new CallbackLane(held::add);
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
    CallbackLane lane = new CallbackLane(held::add);
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
  void aClosedExecutorDropsTheTasksAndTheLaneStaysUsable() {
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
}
