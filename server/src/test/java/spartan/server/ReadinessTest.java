package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import spartan.core.store.MemoryChatStore;

class ReadinessTest {
  @Test
  void aClusterNodeIsNotReadyUntilSubscribed() {
    AtomicBoolean subscribed = new AtomicBoolean();
    try (MemoryChatStore store = new MemoryChatStore()) {
      Readiness r = new Readiness(store, null, false, subscribed::get);
      r.accepting(true);
      Readiness.Report before = r.check();
      assertThat(before.ready()).isFalse();
      assertThat(before.parts()).containsEntry(
          "cluster", "not subscribed (other nodes' messages would not be pushed here)");
      subscribed.set(true);
      Readiness.Report after = r.check();
      assertThat(after.ready()).isTrue();
      assertThat(after.parts()).containsEntry("cluster", "subscribed");
    }
  }

  @Test
  void aNodeAloneHasNoClusterPart() {
    try (MemoryChatStore store = new MemoryChatStore()) {
      Readiness r = new Readiness(store, null, false);
      r.accepting(true);
      assertThat(r.check().parts()).doesNotContainKey("cluster");
    }
  }
}
