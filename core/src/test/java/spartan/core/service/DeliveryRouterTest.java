package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.store.ChatStore;
import spartan.core.store.ForwardingChatStore;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.testing.EventRecorder;

/**
 * The delivery seam: entries reach live sessions through {@link DeliveryRouter}, whether the
 * local send path stored them or someone else did and only says "up to seq N" (as another
 * node's notification will), and never on the store's writer thread.
 */
class DeliveryRouterTest {
  @TempDir Path dir;

  private final AtomicInteger threads = new AtomicInteger();
  private ExecutorService writer;
  private ExecutorService delivery;
  private SqliteChatStore store;
  private LocalChatService chat;

  @BeforeEach
  void start() {
    writer = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-store-writer"));
    delivery =
        Executors.newCachedThreadPool(
            r -> new Thread(r, "test-delivery-" + threads.incrementAndGet()));
    store = SqliteChatStore.open(dir, writer);
    chat = LocalChatService.builder().store(store).deliveryExecutor(delivery).build();
    for (String u : List.of("alice", "bob")) {
      chat.createAccount(u, null);
    }
  }

  @AfterEach
  void stop() {
    chat.close();
    store.close();
    writer.shutdownNow();
    delivery.shutdownNow();
  }

  /** What another node does: store an entry for bob without telling this node's sessions. */
  private long storeElsewhere(String text) {
    ChatStore.Draft draft =
        new ChatStore.Draft(
            "alice",
            Recipient.user("bob"),
            MessageBody.text(text),
            Instant.now(),
            null,
            "elsewhere",
            List.of("bob"));
    return store.append(draft).join().deliveries().get(0).seq();
  }

  @Test
  void entriesStoredOutsideTheLocalSendPathAreDeliveredWhenTheRouterHearsTheirSeq() {
    Session alice = chat.login("alice", null);
    EventRecorder bob = EventRecorder.unbounded();
    chat.login("bob", null).events(0).subscribe(bob);
    alice.send(Recipient.user("bob"), "local");
    assertThat(bob.nextMessage().delivery().seq()).isEqualTo(1);

    long first = storeElsewhere("from another node");
    long second = storeElsewhere("and another");
    chat.delivery().storedUpTo("bob", second);

    List<ChatEvent.MessageReceived> got = bob.nextMessages(2);
    assertThat(got).extracting(m -> m.delivery().seq()).containsExactly(first, second);
    assertThat(got.get(0).delivery().message().text()).isEqualTo("from another node");

    // Late, repeated news repeats nothing: the next entry is the next sequence.
    chat.delivery().storedUpTo("bob", first);
    chat.delivery().storedUpTo(java.util.Map.of("bob", second));
    alice.send(Recipient.user("bob"), "local again");
    ChatEvent.MessageReceived next = bob.nextMessage();
    assertThat(next.delivery().seq()).isEqualTo(second + 1);
    assertThat(next.delivery().message().text()).isEqualTo("local again");
  }

  @Test
  void aCatchUpReadThatFindsTheStoreUnreachableKeepsTheStreamOpenUntilTheNextNews()
      throws InterruptedException {
    AtomicBoolean unreachable = new AtomicBoolean();
    CountDownLatch refused = new CountDownLatch(1);
    ChatStore flaky =
        new ForwardingChatStore(store) {
          @Override
          public List<Delivery> inbox(String user, long afterSeq, int limit) {
            if (unreachable.get()) {
              refused.countDown();
              throw ChatException.unavailable("Storage is unavailable; try again shortly.");
            }
            return super.inbox(user, afterSeq, limit);
          }
        };
    // Another node on the same store, whose Redis is down for a while.
    LocalChatService node =
        LocalChatService.builder().store(flaky).deliveryExecutor(delivery).build();
    try {
      EventRecorder bob = EventRecorder.unbounded();
      node.login("bob", null).events(0).subscribe(bob);
      bob.awaitSubscribed();
      unreachable.set(true);
      node.delivery().storedUpTo("bob", storeElsewhere("stored before the outage"));
      assertThat(refused.await(10, TimeUnit.SECONDS)).isTrue();
      unreachable.set(false);
      node.delivery().storedUpTo("bob", storeElsewhere("stored after it"));
      assertThat(bob.nextMessages(2))
          .extracting(m -> m.delivery().message().text())
          .containsExactly("stored before the outage", "stored after it");
      assertThat(bob.done).isNotDone();
    } finally {
      node.close();
    }
  }

  @Test
  void aMessageForSomeoneAwayIsHandedToTheStoreToKeepForReadingAndOneReadLiveIsNot()
      throws InterruptedException {
    java.util.concurrent.BlockingQueue<String> kept =
        new java.util.concurrent.LinkedBlockingQueue<>();
    ChatStore recording =
        new ForwardingChatStore(store) {
          @Override
          public void readLater(spartan.core.Message m) {
            kept.add(m.text());
            super.readLater(m);
          }
        };
    LocalChatService node =
        LocalChatService.builder().store(recording).deliveryExecutor(delivery).build();
    try {
      node.createAccount("carol", null);
      Session alice = node.login("alice", null);
      alice.send(Recipient.user("bob"), "while bob is away");
      assertThat(kept.poll(10, TimeUnit.SECONDS)).isEqualTo("while bob is away");

      EventRecorder bob = EventRecorder.unbounded();
      node.login("bob", null).events(0).subscribe(bob);
      assertThat(bob.nextMessage().delivery().message().text()).isEqualTo("while bob is away");
      alice.send(Recipient.user("bob"), "read live");
      assertThat(bob.nextMessage().delivery().message().text()).isEqualTo("read live");
      alice.send(Recipient.user("carol"), "while carol is away");
      // The router decides in order: carol's message comes after bob's live one was decided.
      assertThat(kept.poll(10, TimeUnit.SECONDS)).isEqualTo("while carol is away");
      assertThat(kept).isEmpty();
    } finally {
      node.close();
    }
  }

  @Test
  void everyLiveSessionOfTheUserHearsTheNews() {
    EventRecorder phone = EventRecorder.unbounded();
    EventRecorder laptop = EventRecorder.unbounded();
    chat.login("bob", null).events(0).subscribe(phone);
    chat.login("bob", null).events(0).subscribe(laptop);
    phone.awaitSubscribed();
    laptop.awaitSubscribed();
    long seq = storeElsewhere("to both");
    chat.delivery().storedUpTo("bob", seq);
    assertThat(phone.nextMessage().delivery().seq()).isEqualTo(seq);
    assertThat(laptop.nextMessage().delivery().seq()).isEqualTo(seq);
  }

  @Test
  void theSendersReceiptAndTheFanOutRunOffTheStoreWriterThread() throws Exception {
    Session alice = chat.login("alice", null);
    EventRecorder bob = EventRecorder.unbounded();
    java.util.concurrent.ConcurrentLinkedQueue<String> deliveredOn =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    chat.login("bob", null)
        .events(0)
        .subscribe(
            new java.util.concurrent.Flow.Subscriber<ChatEvent>() {
              @Override
              public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                bob.onSubscribe(s);
              }

              @Override
              public void onNext(ChatEvent e) {
                deliveredOn.add(Thread.currentThread().getName());
                bob.onNext(e);
              }

              @Override
              public void onError(Throwable t) {
                bob.onError(t);
              }

              @Override
              public void onComplete() {
                bob.onComplete();
              }
            });
    bob.awaitSubscribed();
    CountDownLatch release = new CountDownLatch(1);
    writer.execute(
        () -> {
          try {
            release.await(10, TimeUnit.SECONDS); // holds the append until the callbacks are set
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    var receiptThread =
        alice
            .sendAsync(Recipient.user("bob"), MessageBody.text("hi"), null)
            .thenApply(r -> Thread.currentThread().getName());
    release.countDown();
    assertThat(receiptThread.get(10, TimeUnit.SECONDS)).startsWith("test-delivery-");
    assertThat(bob.nextMessage().delivery().message().text()).isEqualTo("hi");
    assertThat(deliveredOn).singleElement().asString().startsWith("test-delivery-");
  }

  @Test
  void newsForAUserWithNoLiveSessionIsHarmless() {
    long seq = storeElsewhere("nobody listening");
    chat.delivery().storedUpTo("bob", seq);
    chat.delivery().storedUpTo("nobody", 7);
    EventRecorder bob = EventRecorder.unbounded();
    chat.login("bob", null).events(0).subscribe(bob);
    assertThat(bob.nextMessage().delivery().seq()).isEqualTo(seq);
  }
}
