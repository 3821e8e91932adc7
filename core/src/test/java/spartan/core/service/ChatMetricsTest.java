package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.spi.ChatMetrics;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.testing.EventRecorder;
import spartan.core.testing.MutableClock;

/** What the core tells {@link ChatMetrics}, and when. */
class ChatMetricsTest {
  @TempDir Path dir;

  /** Records every call. */
  static final class Recorded implements ChatMetrics {
    final AtomicInteger loginsOk = new AtomicInteger();
    final AtomicInteger loginsFailed = new AtomicInteger();
    final ConcurrentLinkedQueue<String> stored = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Integer> commits = new ConcurrentLinkedQueue<>();

    @Override
    public void loginSucceeded() {
      loginsOk.incrementAndGet();
    }

    @Override
    public void loginFailed() {
      loginsFailed.incrementAndGet();
    }

    @Override
    public void messageStored(boolean group, int recipients) {
      stored.add((group ? "group:" : "direct:") + recipients);
    }

    @Override
    public void messageDelivered(Instant sentAt, boolean backlog) {
      delivered.add((backlog ? "backlog@" : "live@") + sentAt);
    }

    @Override
    public void storeCommitted(int writes, long nanos) {
      assertThat(nanos).isNotNegative();
      commits.add(writes);
    }
  }

  @Test
  void loginsMessagesDeliveriesAndCommitsAreReported() {
    Recorded metrics = new Recorded();
    MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    ExecutorService pool = Executors.newCachedThreadPool();
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (SqliteChatStore store = SqliteChatStore.open(dir, writer);
        LocalChatService chat =
            LocalChatService.builder()
                .store(store)
                .deliveryExecutor(pool)
                .clock(clock)
                .metrics(metrics)
                .build()) {
      store.reportTo(metrics);
      for (String u : List.of("alice", "bob", "carol")) {
        chat.createAccount(u, null);
      }
      Session alice = chat.login("alice", null);
      assertThatThrownBy(() -> chat.login("nobody", null)).isInstanceOf(ChatException.class);
      assertThat(metrics.loginsOk).hasValue(1);
      assertThat(metrics.loginsFailed).hasValue(1);

      alice.send(Recipient.user("bob"), MessageBody.text("while bob is away"), "m1");
      alice.send(Recipient.user("bob"), MessageBody.text("while bob is away"), "m1"); // a resend: not counted
      clock.advance(Duration.ofSeconds(5));
      Session bob = chat.login("bob", null);
      EventRecorder events = EventRecorder.unbounded();
      bob.events(0).subscribe(events);
      events.nextMessage();
      clock.advance(Duration.ofSeconds(1));
      alice.createGroup("team", List.of("bob", "carol"));
      assertThat(events.next()).isInstanceOf(ChatEvent.GroupInvited.class);
      bob.joinGroup("team");
      chat.login("carol", null).joinGroup("team");
      alice.send(Recipient.group("team"), "live");
      ChatEvent e;
      do {
        e = events.next(); // bob's own and carol's MemberJoined come first
      } while (e instanceof ChatEvent.MemberJoined);
      assertThat(e).isInstanceOf(ChatEvent.MessageReceived.class);

      assertThat(metrics.stored).containsExactly("direct:1", "group:2");
      assertThat(metrics.delivered)
          .containsExactly("backlog@2026-01-01T00:00:00Z", "live@2026-01-01T00:00:06Z");
      assertThat(metrics.commits).isNotEmpty().allSatisfy(n -> assertThat(n).isPositive());
      assertThat(store.undeliveredCount()).isEqualTo(3); // two for bob, one for carol
    } finally {
      pool.shutdownNow();
      writer.shutdownNow();
    }
  }
}
