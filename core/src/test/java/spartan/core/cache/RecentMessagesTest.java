package spartan.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.decorate.ChatDecorator;
import spartan.core.service.LocalChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * The recent-message cache inside a real in-process service: every history answer from the
 * cache is compared with the same call on an undecorated session, which reads the store.
 */
class RecentMessagesTest {
  @org.junit.jupiter.api.io.TempDir Path dir;
  private ChatStore base;
  private RecentMessages recent;
  private LocalChatService core;
  private ChatDecorator decorator;
  private final List<Session> opened = new ArrayList<>();

  private void start(int perConversation, long conversations, ChatStore base) {
    recent =
        RecentMessages.builder().perConversation(perConversation).conversations(conversations).build();
    core =
        LocalChatService.builder()
            .store(recent.wrap(base))
            .deliveryExecutor(Runnable::run)
            .build();
    decorator = ChatDecorator.builder().recentMessages(recent).build();
  }

  @AfterEach
  void stop() {
    if (core != null) {
      core.close();
    }
  }

  private void accounts(String... names) {
    for (String n : names) {
      core.createAccount(n, null);
    }
  }

  /** A decorated session (history may come from the cache). */
  private Session cached(String user) {
    return decorator.decorate(core.login(user, null));
  }

  /** An undecorated session of the same core (history always from the store). */
  private Session plain(String user) {
    Session s = core.login(user, null);
    opened.add(s);
    return s;
  }

  private void assertSameHistory(Session cached, Session plain, Recipient with) {
    List<Message> all = plain.history(with, 0, 500);
    for (int limit = 1; limit <= 8; limit++) {
      assertThat(cached.history(with, 0, limit))
          .as("history(%s, 0, %d)", with, limit)
          .isEqualTo(plain.history(with, 0, limit));
      for (Message m : all) {
        assertThat(cached.history(with, m.id(), limit))
            .as("history(%s, %d, %d)", with, m.id(), limit)
            .isEqualTo(plain.history(with, m.id(), limit));
      }
    }
  }

  /**
   * The audit's figure: 10,000 conversations of five 40 KiB envelopes would have held 2 GB. The
   * windows are weighed in bytes and held within {@code maxBytes}; answers stay exact.
   */
  @Test
  void largeMessagesAreHeldWithinTheByteBudget() {
    RecentMessages small =
        RecentMessages.builder().perConversation(5).conversations(10_000).maxBytes(1 << 20).build();
    ChatStore store = small.wrap(new MemoryChatStore());
    java.time.Instant t = java.time.Instant.EPOCH;
    store.createAccount("alice", null, t);
    store.createAccount("bob", null, t);
    long maxHeld = 0;
    for (int c = 0; c < 100; c++) {
      String conversation = "d:test:" + c;
      List<Message> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        sent.add(
            store
                .append(
                    new ChatStore.Draft(
                        "alice", Recipient.user("bob"), MessageBody.sealed(new byte[40 * 1024]),
                        t, null, conversation, List.of("bob")))
                .join()
                .message());
      }
      assertThat(store.cachedHistory(conversation, 0, 5)).isEqualTo(sent);
      assertThat(store.cachedHistory(conversation, 0, 5)).isEqualTo(sent);
      maxHeld = Math.max(maxHeld, small.stats().bytes());
    }
    assertThat(maxHeld).isLessThanOrEqualTo(1 << 20);
    assertThat(small.stats().evictions()).isPositive();
    assertThat(small.stats().hits()).isPositive();
  }

  @Test
  void onlyTheCachedFormOfAReadIsAnsweredFromTheCache() {
    start(5, 10, new MemoryChatStore());
    accounts("alice", "bob");
    cached("alice").send(Recipient.user("bob"), "hi");
    Session plainBob = plain("bob");
    plainBob.history(Recipient.user("alice"), 0, 5);
    plainBob.history(Recipient.user("alice"), 0, 5);
    assertThat(recent.stats().hits() + recent.stats().misses())
        .as("an undecorated session's reads never touch the cache")
        .isZero();

    Session bob = cached("bob");
    assertThat(texts(bob.history(Recipient.user("alice"), 0, 5))).containsExactly("hi");
    assertThat(texts(bob.history(Recipient.user("alice"), 0, 5))).containsExactly("hi");
    assertThat(recent.stats().misses()).isEqualTo(1);
    assertThat(recent.stats().hits()).isEqualTo(1);
    // The cached form is scoped to that one call: the plain read after it still reads the store.
    assertThat(texts(plainBob.history(Recipient.user("alice"), 0, 5))).containsExactly("hi");
    assertThat(recent.stats().hits()).isEqualTo(1);
  }

  @Test
  void theConversationCountStillBoundsSmallMessages() {
    RecentMessages few = RecentMessages.builder().perConversation(5).conversations(3).build();
    ChatStore store = few.wrap(new MemoryChatStore());
    for (int c = 0; c < 50; c++) {
      String conversation = "d:few:" + c;
      store.cachedHistory(conversation, 0, 5);
    }
    assertThat(few.stats().conversations()).isLessThanOrEqualTo(3);
  }

  @Test
  void hitsMissesAndEvictionsAreCounted() {
    start(3, 2, new MemoryChatStore());
    accounts("alice", "bob", "carol", "dave", "erin");
    Session alice = cached("alice");
    alice.send(Recipient.user("bob"), "one");
    alice.send(Recipient.user("bob"), "two");

    alice.history(Recipient.user("bob"), 0, 2); // loads the window
    assertThat(recent.stats().misses()).isEqualTo(1);
    alice.history(Recipient.user("bob"), 0, 2);
    alice.history(Recipient.user("bob"), 0, 50); // the whole conversation is held
    assertThat(recent.stats().hits()).isEqualTo(2);

    for (int i = 0; i < 3; i++) {
      alice.send(Recipient.user("bob"), "more " + i); // sends keep the window current
    }
    assertThat(texts(alice.history(Recipient.user("bob"), 0, 3)))
        .containsExactly("more 0", "more 1", "more 2");
    assertThat(recent.stats().hits()).isEqualTo(3);
    alice.history(Recipient.user("bob"), 0, 4); // more than the window holds
    assertThat(recent.stats().misses()).isEqualTo(2);

    for (String peer : List.of("carol", "dave", "erin")) {
      alice.send(Recipient.user(peer), "hi");
      alice.history(Recipient.user(peer), 0, 1);
    }
    RecentMessages.Stats stats = recent.stats();
    assertThat(stats.evictions()).isPositive();
    assertThat(stats.conversations()).isLessThanOrEqualTo(2);
    assertThat(stats.toString()).contains("hits").contains("evictions");
  }

  @Test
  void callsOutsideTheCachedScopeReadTheStore() {
    start(5, 10, new MemoryChatStore());
    accounts("alice", "bob");
    Session alice = plain("alice");
    alice.send(Recipient.user("bob"), "hi");
    alice.history(Recipient.user("bob"), 0, 5);
    alice.history(Recipient.user("bob"), 0, 5);
    assertThat(recent.stats().hits() + recent.stats().misses()).isZero();
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "windows loaded first: {0}, store: {1}")
  @org.junit.jupiter.params.provider.CsvSource({
    "true, memory", "false, memory", "true, sqlite", "false, sqlite"
  })
  void historyIsTheSameFromCacheAndStoreAfterConcurrentSendsFromSeveralUsers(
      boolean preload, String storeKind) throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    base =
        storeKind.equals("sqlite") ? SqliteChatStore.open(dir, writer) : new MemoryChatStore();
    try {
      concurrentSendsKeepHistoryIdentical(preload);
    } finally {
      core.close();
      core = null;
      base.close();
      writer.shutdown();
    }
  }

  private void concurrentSendsKeepHistoryIdentical(boolean preload) throws Exception {
    start(5, 100, base);
    accounts("alice", "bob", "carol");
    core.login("alice", null).createGroup("team", List.of("bob", "carol"));
    core.login("bob", null).joinGroup("team");
    core.login("carol", null).joinGroup("team");
    List<String> users = List.of("alice", "bob", "carol");
    // Load the windows first so later sends keep them current, or let loads race the sends.
    for (String u : preload ? users : List.<String>of()) {
      Session s = cached(u);
      for (String peer : users) {
        if (!peer.equals(u)) {
          s.history(Recipient.user(peer), 0, 3);
        }
      }
      s.history(Recipient.group("team"), 0, 3);
    }
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<?>> senders = new ArrayList<>();
    for (String u : users) {
      senders.add(
          pool.submit(
              () -> {
                Session s = cached(u);
                for (int i = 0; i < 40; i++) {
                  String peer = users.get((users.indexOf(u) + 1 + i % 2) % 3);
                  Recipient to = i % 3 == 0 ? Recipient.group("team") : Recipient.user(peer);
                  s.send(to, u + " " + i);
                  if (i % 5 == 0) {
                    s.history(to, 0, 1 + i % 5); // reads interleaved with other users' sends
                  }
                }
              }));
    }
    for (Future<?> f : senders) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    for (String u : users) {
      Session c = cached(u);
      Session p = plain(u);
      for (String peer : users) {
        if (!peer.equals(u)) {
          assertSameHistory(c, p, Recipient.user(peer));
        }
      }
      assertSameHistory(c, p, Recipient.group("team"));
    }
    assertThat(recent.stats().hits()).isPositive();
  }

  @Test
  void appendsCompletingOutOfOrderLeaveHistoryIdentical() {
    GatedStore gated = new GatedStore(new MemoryChatStore());
    start(3, 10, gated);
    accounts("alice", "bob");
    Session alice = cached("alice");
    Session alicePlain = plain("alice");
    alice.send(Recipient.user("bob"), "before");
    alice.history(Recipient.user("bob"), 0, 3); // window loaded

    gated.hold = true;
    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("m" + i), null));
    }
    // Stored but not yet acknowledged: the cache defers to the store meanwhile.
    assertSameHistory(alice, alicePlain, Recipient.user("bob"));
    for (int i : new int[] {3, 0, 2, 1}) { // complete out of id order
      gated.pending.get(i).complete(gated.results.get(i));
      assertThat(sends.get(i)).isCompleted();
      assertSameHistory(alice, alicePlain, Recipient.user("bob"));
    }
    long hitsBefore = recent.stats().hits();
    assertThat(texts(alice.history(Recipient.user("bob"), 0, 3))).containsExactly("m1", "m2", "m3");
    assertThat(recent.stats().hits()).isEqualTo(hitsBefore + 1);
  }

  @Test
  void aDeletedAndRecreatedAccountNeverSeesTheOldConversation() {
    start(5, 10, new MemoryChatStore());
    accounts("alice", "bob");
    Session bob = cached("bob");
    Session oldAlice = cached("alice");
    oldAlice.send(Recipient.user("bob"), "for the old alice");
    assertThat(bob.history(Recipient.user("alice"), 0, 5)).hasSize(1); // cached now
    assertThat(oldAlice.history(Recipient.user("bob"), 0, 5)).hasSize(1);

    oldAlice.deleteAccount();
    assertCode(ErrorCode.NOT_FOUND, () -> bob.history(Recipient.user("alice"), 0, 5));
    core.createAccount("alice", null);
    Session newAlice = cached("alice");
    assertThat(newAlice.history(Recipient.user("bob"), 0, 5)).isEmpty();
    assertThat(bob.history(Recipient.user("alice"), 0, 5)).isEmpty();
    newAlice.send(Recipient.user("bob"), "new alice here");
    assertThat(texts(bob.history(Recipient.user("alice"), 0, 5))).containsExactly("new alice here");
    assertSameHistory(bob, plain("bob"), Recipient.user("alice"));
  }

  @Test
  void servingFromTheCacheKeepsEveryCheck() {
    start(5, 10, new MemoryChatStore());
    accounts("alice", "bob", "mallory");
    Session alice = cached("alice");
    alice.createGroup("team", List.of("bob"));
    cached("bob").joinGroup("team");
    alice.send(Recipient.group("team"), "members only");
    assertThat(alice.history(Recipient.group("team"), 0, 5)).hasSize(1); // window loaded
    assertThat(alice.history(Recipient.group("team"), 0, 5)).hasSize(1); // and served
    assertThat(recent.stats().hits()).isEqualTo(1);

    Session mallory = cached("mallory");
    assertCode(ErrorCode.PERMISSION_DENIED, () -> mallory.history(Recipient.group("team"), 0, 5));
    assertCode(ErrorCode.NOT_FOUND, () -> mallory.history(Recipient.user("nobody"), 0, 5));
    assertCode(ErrorCode.NOT_FOUND, () -> mallory.history(Recipient.group("nogroup"), 0, 5));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.history(Recipient.group("team"), 0, 0));

    Session bob = cached("bob");
    bob.leaveGroup("team");
    assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.history(Recipient.group("team"), 0, 5));
    alice.logout();
    assertCode(ErrorCode.UNAUTHENTICATED, () -> alice.history(Recipient.group("team"), 0, 5));
  }

  @Test
  void badSettingsFailNamingTheSetting() {
    assertThatThrownBy(() -> RecentMessages.builder().perConversation(0))
        .hasMessage("cache.messagesPerConversation must be 1-500, was 0");
    assertThatThrownBy(() -> RecentMessages.builder().conversations(0))
        .hasMessageStartingWith("cache.conversations must be");
  }

  private static List<String> texts(List<Message> ms) {
    return ms.stream().map(Message::text).toList();
  }

  private static void assertCode(ErrorCode code, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(code));
  }

  /**
   * A store whose appends are written at once (visible to reads) but acknowledged only when the
   * test says, in whatever order it says — like a store that batches commits.
   */
  static final class GatedStore extends spartan.core.store.ForwardingChatStore {
    volatile boolean hold;
    final List<CompletableFuture<Appended>> pending = new CopyOnWriteArrayList<>();
    final List<Appended> results = new CopyOnWriteArrayList<>();

    GatedStore(ChatStore store) {
      super(store);
    }

    @Override
    public CompletableFuture<Appended> append(Draft draft) {
      CompletableFuture<Appended> written = target.append(draft);
      if (!hold) {
        return written;
      }
      CompletableFuture<Appended> later = new CompletableFuture<>();
      results.add(written.join());
      pending.add(later);
      return later;
    }
  }
}
