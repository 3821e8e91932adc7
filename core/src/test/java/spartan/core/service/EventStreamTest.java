package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore;
import spartan.core.store.ForwardingChatStore;
import spartan.core.store.MemoryChatStore;

class EventStreamTest {

  /**
   * The audit's figure: 1,024 queued 40 KiB envelopes held ~41 MB for one stream that did not
   * read. The queue is bounded in bytes; what did not fit is read back from the store, in order.
   */
  @Test
  void aStreamThatDoesNotReadHoldsABoundedNumberOfBytesAndLosesNothing() {
    MemoryChatStore store = new MemoryChatStore();
    store.createAccount("alice", null, Instant.EPOCH);
    store.createAccount("bob", null, Instant.EPOCH);
    List<ChatEvent> received = new ArrayList<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    Flow.Subscriber<ChatEvent> idle =
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription[0] = s; // no demand yet: a reader that does not read
          }

          @Override
          public void onNext(ChatEvent e) {
            received.add(e);
          }

          @Override
          public void onError(Throwable t) {
            throw new AssertionError(t);
          }

          @Override
          public void onComplete() {}
        };
    EventStream stream = new EventStream("bob", 0, store, Runnable::run, idle, () -> {});
    stream.start();
    long maxHeld = 0;
    int n = 1024;
    for (int i = 0; i < n; i++) {
      byte[] envelope = new byte[40 * 1024];
      envelope[0] = (byte) i;
      ChatStore.Appended a =
          store
              .append(
                  new ChatStore.Draft(
                      "alice", Recipient.user("bob"), MessageBody.sealed(envelope),
                      Instant.EPOCH, null, "d:1:2", List.of("bob")))
              .join();
      for (Delivery d : a.deliveries()) {
        stream.offer(d);
      }
      maxHeld = Math.max(maxHeld, stream.heldBytes());
    }
    assertThat(maxHeld).isLessThanOrEqualTo(EventStream.MAX_LIVE_BYTES);

    subscription[0].request(Long.MAX_VALUE);
    assertThat(received).hasSize(n);
    for (int i = 0; i < n; i++) {
      ChatEvent.MessageReceived m = (ChatEvent.MessageReceived) received.get(i);
      assertThat(m.seq()).isEqualTo(i + 1);
    }
    assertThat(stream.heldBytes()).isZero();
  }

  /**
   * A subscriber asks for a few dozen events at a time; the catch-up still reads the inbox in
   * pages of {@link EventStream#PAGE}, not one read per request.
   */
  @Test
  void aCatchUpReadsTheInboxInLargePagesWhateverTheDemand() {
    MemoryChatStore memory = new MemoryChatStore();
    int[] reads = new int[1];
    ChatStore store =
        new ForwardingChatStore(memory) {
          @Override
          public List<Delivery> inbox(String user, long afterSeq, int limit) {
            reads[0]++;
            return super.inbox(user, afterSeq, limit);
          }
        };
    store.createAccount("alice", null, Instant.EPOCH);
    store.createAccount("bob", null, Instant.EPOCH);
    int n = 2000;
    for (int i = 0; i < n; i++) {
      store.append(text("m" + i)).join();
    }
    List<ChatEvent> received = new ArrayList<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    Flow.Subscriber<ChatEvent> bySixteen =
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription[0] = s;
            s.request(16);
          }

          @Override
          public void onNext(ChatEvent e) {
            received.add(e);
            if (received.size() % 16 == 0) {
              subscription[0].request(16);
            }
          }

          @Override
          public void onError(Throwable t) {
            throw new AssertionError(t);
          }

          @Override
          public void onComplete() {}
        };
    new EventStream("bob", 0, store, Runnable::run, bySixteen, () -> {}).start();

    assertThat(received).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(((ChatEvent.MessageReceived) received.get(i)).seq()).isEqualTo(i + 1);
    }
    assertThat(reads[0]).isLessThanOrEqualTo(n / EventStream.PAGE + 2);
  }

  /** Large envelopes: what a page holds ahead of demand is bounded in bytes, and none is lost. */
  @Test
  void aPageHeldAheadOfDemandIsBoundedInBytes() {
    MemoryChatStore store = new MemoryChatStore();
    store.createAccount("alice", null, Instant.EPOCH);
    store.createAccount("bob", null, Instant.EPOCH);
    int n = 100;
    for (int i = 0; i < n; i++) {
      byte[] envelope = new byte[40 * 1024];
      envelope[0] = (byte) i;
      store
          .append(
              new ChatStore.Draft(
                  "alice", Recipient.user("bob"), MessageBody.sealed(envelope),
                  Instant.EPOCH, null, "d:1:2", List.of("bob")))
          .join();
    }
    List<ChatEvent> received = new ArrayList<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    Flow.Subscriber<ChatEvent> slow =
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription[0] = s;
            s.request(1);
          }

          @Override
          public void onNext(ChatEvent e) {
            received.add(e);
          }

          @Override
          public void onError(Throwable t) {
            throw new AssertionError(t);
          }

          @Override
          public void onComplete() {}
        };
    EventStream stream = new EventStream("bob", 0, store, Runnable::run, slow, () -> {});
    stream.start();
    assertThat(received).hasSize(1);
    assertThat((long) stream.pagedEntries() * 40 * 1024)
        .isLessThanOrEqualTo(EventStream.MAX_LIVE_BYTES);

    subscription[0].request(Long.MAX_VALUE);
    assertThat(received).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(((ChatEvent.MessageReceived) received.get(i)).seq()).isEqualTo(i + 1);
    }
    assertThat(stream.pagedEntries()).isZero();
  }

  private static ChatStore.Draft text(String body) {
    return new ChatStore.Draft(
        "alice", Recipient.user("bob"), MessageBody.text(body), Instant.EPOCH, null, "d:1:2",
        List.of("bob"));
  }
}
