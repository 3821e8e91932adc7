package spartan.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.Account;
import spartan.core.AuthMode;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupMember;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.auth.Argon2idHasher;
import spartan.core.limit.RateLimit;
import spartan.core.service.LocalChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;

/**
 * The whole behaviour of the chat API, stated once against {@link ChatService}. One concrete
 * subclass per binding — in-process (each store), gRPC in-process and over Netty, the socket
 * transport — proves they all behave the same, error codes included.
 *
 * <p>A subclass says how to expose an in-process {@link LocalChatService} through its binding
 * ({@link #bind}) and may choose the store ({@link #newStore}). No test sleeps: each waits on an
 * {@link EventRecorder}. "Receives nothing" is proved with a sentinel: per-inbox order means a
 * message that had arrived would come before a sentinel sent after it.
 */
public abstract class ChatServiceConformance {

  /** Exposes {@code core} through the binding under test and returns the client side. */
  protected abstract ChatService bind(LocalChatService core) throws Exception;

  /** Releases what {@link #bind} started. Called after the client side is closed. */
  protected void unbind() throws Exception {}

  /** The store behind the core; memory unless a subclass says otherwise. */
  protected ChatStore newStore(Path dir) throws Exception {
    return new MemoryChatStore();
  }

  @TempDir protected Path tmp;

  protected MutableClock clock;
  /** The core's limits; a test may change them and call {@link #start} again. */
  protected Limits limits = Limits.defaults().withMaxGroupMembers(5).withMaxBodyChars(100);
  /** The core's fan-out budget (null: none); a test may set it and call {@link #start} again. */
  protected RateLimit recipientsPerSecond;
  protected ChatStore store;
  protected LocalChatService core;
  protected ChatService chat;
  private ExecutorService executor;
  private final List<Session> opened = new ArrayList<>();

  @BeforeEach
  void startBinding() throws Exception {
    executor = Executors.newCachedThreadPool(daemon());
    clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    store = newStore(tmp);
    start(AuthMode.OPEN);
  }

  /** Restarts the core (same store) in another auth mode, rebinding the client. */
  protected void start(AuthMode mode) throws Exception {
    if (chat != null) {
      stopBinding();
    }
    core =
        buildCore(
            LocalChatService.builder()
                .store(store)
                .clock(clock)
                .deliveryExecutor(executor)
                .authMode(mode)
                .passwordHasher(Argon2idHasher.forTests())
                .limits(limits)
                .recipientsPerSecond(recipientsPerSecond));
    chat = bind(core);
  }

  /**
   * Builds the core from the suite's settings; a binding over several nodes builds them all
   * from {@code b} here and returns the first.
   */
  protected LocalChatService buildCore(LocalChatService.Builder b) throws Exception {
    return b.build();
  }

  private void stopBinding() throws Exception {
    for (Session s : opened) {
      try {
        s.logout();
      } catch (RuntimeException ignored) {
        // the session may be gone already (deleted account, logged out by the test)
      }
    }
    opened.clear();
    chat.close();
    unbind();
    core.close();
  }

  @AfterEach
  void stopAll() throws Exception {
    stopBinding();
    store.close();
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "conformance-delivery");
      t.setDaemon(true);
      return t;
    };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  protected void accounts(String... names) {
    for (String n : names) {
      chat.createAccount(n, core.authMode() == AuthMode.PASSWORD ? "password-" + n : null);
    }
  }

  protected Session login(String name) {
    Session s =
        chat.login(name, core.authMode() == AuthMode.PASSWORD ? "password-" + name : null);
    opened.add(s);
    return s;
  }

  protected static EventRecorder subscribe(Session s) {
    return subscribe(s, 0);
  }

  protected static EventRecorder subscribe(Session s, long afterSeq) {
    EventRecorder r = EventRecorder.unbounded();
    s.events(afterSeq).subscribe(r);
    return r.awaitSubscribed();
  }

  /** Creates {@code group} owned by {@code owner}; each member is invited and accepts. */
  protected void groupWith(Session owner, String group, String... members) {
    owner.createGroup(group, List.of(members));
    for (String m : members) {
      login(m).joinGroup(group);
    }
  }

  protected static SendReceipt send(Session from, String to, String text) {
    return from.send(Recipient.user(to), text);
  }

  protected static SendReceipt sendGroup(Session from, String group, String text) {
    return from.send(Recipient.group(group), text);
  }

  protected static void assertCode(ErrorCode code, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(code));
  }

  private static List<String> texts(List<ChatEvent.MessageReceived> ms) {
    return ms.stream().map(m -> m.message().text()).toList();
  }

  // ---- accounts ---------------------------------------------------------------------------------

  @Nested
  class Accounts {
    @Test
    void createdAccountCanLogIn() {
      accounts("alice");
      Session s = login("alice");
      assertThat(s.user()).isEqualTo("alice");
      assertThat(s.token()).isNotBlank();
    }

    @Test
    void namesAreCaseInsensitiveAndNormalisedToLowerCase() {
      chat.createAccount("Alice", null);
      assertThat(login("ALICE").user()).isEqualTo("alice");
      assertCode(ErrorCode.ALREADY_EXISTS, () -> chat.createAccount("aLiCe", null));
    }

    @Test
    void badNamesAreRejected() {
      for (String bad : new String[] {"", " ", "a b", "x".repeat(33), "bob!", "émile", "a/b"}) {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> chat.createAccount(bad, null));
      }
      chat.createAccount("a.b-c_9", null);
      chat.createAccount("x".repeat(32), null);
    }

    @Test
    void unknownUserCannotLogInInOpenMode() {
      assertCode(ErrorCode.NOT_FOUND, () -> chat.login("zed", null));
    }

    @Test
    void passwordModeChecksPasswordsWithoutRevealingWhoExists() throws Exception {
      start(AuthMode.PASSWORD);
      assertThat(chat.authMode()).isEqualTo(AuthMode.PASSWORD);
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> chat.createAccount("alice", null));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> chat.createAccount("alice", "short"));
      chat.createAccount("alice", "correct horse");
      assertThat(chat.login("alice", "correct horse").user()).isEqualTo("alice");

      ChatException wrong = catchChat(() -> chat.login("alice", "wrong horse"));
      ChatException nobody = catchChat(() -> chat.login("nobody", "wrong horse"));
      assertThat(wrong.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
      assertThat(nobody.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
      assertThat(nobody.getMessage()).isEqualTo(wrong.getMessage());
    }

    @Test
    void repeatedWrongPasswordsAreThrottledWithARetryDelayAndOthersStillLogIn() throws Exception {
      start(AuthMode.PASSWORD);
      chat.createAccount("alice", "correct horse");
      chat.createAccount("bob", "battery staple");
      ChatException throttled = null;
      for (int i = 0; i < 50 && throttled == null; i++) {
        ChatException e = catchChat(() -> chat.login("alice", "wrong horse"));
        if (e.code() == ErrorCode.RATE_LIMITED) {
          throttled = e;
        } else {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
      }
      assertThat(throttled).as("refused after a few wrong passwords").isNotNull();
      assertThat(throttled.retryAfter()).isPositive();
      ChatException meanwhile = catchChat(() -> chat.login("alice", "correct horse"));
      assertThat(meanwhile.code()).isEqualTo(ErrorCode.RATE_LIMITED);
      assertThat(chat.login("bob", "battery staple").user()).isEqualTo("bob");
      clock.advance(throttled.retryAfter());
      assertThat(chat.login("alice", "correct horse").user()).isEqualTo("alice");
    }

    @Test
    void passwordsAreStoredOnlyAsArgon2idHashes() throws Exception {
      start(AuthMode.PASSWORD);
      chat.createAccount("alice", "correct horse");
      String stored = store.findAccount("alice").orElseThrow().passwordHash();
      assertThat(stored).startsWith("$argon2id$v=19$").doesNotContain("correct horse");
    }

    @Test
    void eachLoginGetsItsOwnUnguessableToken() {
      accounts("alice");
      Set<String> tokens = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        tokens.add(login("alice").token());
      }
      assertThat(tokens).hasSize(5);
      assertThat(tokens).allSatisfy(t -> assertThat(t.length()).isGreaterThanOrEqualTo(32));
    }

    @Test
    void resumeFindsTheSessionByTokenAndRejectsOthers() {
      accounts("alice", "bob");
      Session s = login("alice");
      Session again = chat.resume(s.token());
      assertThat(again.user()).isEqualTo("alice");
      assertCode(ErrorCode.UNAUTHENTICATED, () -> chat.resume("nope.nope"));
      assertCode(ErrorCode.UNAUTHENTICATED, () -> chat.resume(s.token() + "x"));
    }

    @Test
    void logoutEndsTheSessionAndItsStream() {
      accounts("alice", "bob");
      Session s = login("alice");
      EventRecorder events = subscribe(s);
      s.logout();
      events.awaitComplete();
      assertCode(ErrorCode.UNAUTHENTICATED, () -> send(s, "bob", "hi"));
      assertCode(ErrorCode.UNAUTHENTICATED, () -> chat.resume(s.token()));
    }

    @Test
    void idleSessionsExpire() {
      accounts("alice");
      Session s = login("alice");
      clock.advance(Limits.defaults().sessionIdleTimeout().plusSeconds(1));
      assertCode(ErrorCode.UNAUTHENTICATED, () -> chat.resume(s.token()));
    }

    @Test
    void deletingAnAccountDropsItsInboxHistoryAccessAndSessions() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      send(bob, "alice", "for the old alice");
      bob.ack(0);
      alice.deleteAccount();
      assertCode(ErrorCode.UNAUTHENTICATED, () -> alice.fetchUndelivered(10));
      assertCode(ErrorCode.NOT_FOUND, () -> chat.login("alice", null));
      assertCode(ErrorCode.NOT_FOUND, () -> send(bob, "alice", "anyone there?"));

      chat.createAccount("alice", null);
      Session newAlice = login("alice");
      assertThat(newAlice.fetchUndelivered(10)).isEmpty();
      assertThat(newAlice.history(Recipient.user("bob"), 0, 10)).isEmpty();
      assertThat(bobEvents.drainNow()).isEmpty();
    }
  }

  // ---- listing ----------------------------------------------------------------------------------

  @Nested
  class Listing {
    @Test
    void globMatchesWholeNamesNotSubstrings() {
      accounts("alice", "bob", "charlie", "eve", "foo", "bar", "baz", "qux");
      Session s = login("alice");
      assertThat(names(s, "*")).containsExactly(
          "alice", "bar", "baz", "bob", "charlie", "eve", "foo", "qux");
      assertThat(names(s, "ba?")).containsExactly("bar", "baz");
      assertThat(names(s, "B*")).containsExactly("bar", "baz", "bob");
      assertThat(names(s, "*li*")).containsExactly("alice", "charlie");
      assertThat(names(s, "li")).isEmpty();
      assertThat(names(s, null)).hasSize(8);
    }

    @Test
    void largeListingsArePaged() {
      for (int i = 0; i < 25; i++) {
        chat.createAccount(String.format("user%02d", i), null);
      }
      Session s = login("user00");
      List<String> seen = new ArrayList<>();
      String after = null;
      int pages = 0;
      do {
        Page<Account> p = s.listAccounts("user*", after, 10);
        assertThat(p.items()).hasSizeLessThanOrEqualTo(10);
        p.items().forEach(a -> seen.add(a.user()));
        after = p.next();
        pages++;
      } while (after != null);
      assertThat(pages).isEqualTo(3);
      assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void listingShowsPresence() {
      accounts("alice", "bob");
      Session alice = login("alice");
      subscribe(alice);
      Session bob = login("bob");
      Page<Account> p = bob.listAccounts("*", null, 10);
      assertThat(p.items()).containsExactly(new Account("alice", true), new Account("bob", false));
    }

    @Test
    void badPatternsAndLimitsAreRejected() {
      accounts("alice");
      Session s = login("alice");
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> s.listAccounts("a[b]", null, 10));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> s.listAccounts("*", null, 0));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> s.listAccounts("*", null, 1001));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> s.listAccounts("x".repeat(65), null, 10));
    }

    private List<String> names(Session s, String pattern) {
      return s.listAccounts(pattern, null, 100).items().stream().map(Account::user).toList();
    }
  }

  // ---- direct messages --------------------------------------------------------------------------

  @Nested
  class Direct {
    @Test
    void liveRecipientGetsTheMessagePushed() {
      accounts("alice", "bob");
      Session alice = login("alice");
      EventRecorder bob = subscribe(login("bob"));
      SendReceipt r = send(alice, "bob", "Hey Bob!");
      ChatEvent.MessageReceived m = bob.nextMessage();
      assertThat(m.seq()).isEqualTo(1);
      assertThat(m.message().id()).isEqualTo(r.msgId());
      assertThat(m.message().from()).isEqualTo("alice");
      assertThat(m.message().to()).isEqualTo(Recipient.user("bob"));
      assertThat(m.message().text()).isEqualTo("Hey Bob!");
      assertThat(m.message().sentAt()).isEqualTo(clock.instant());
      assertThat(r.duplicate()).isFalse();
    }

    @Test
    void senderDoesNotGetItsOwnMessageBack() {
      accounts("alice", "bob");
      Session alice = login("alice");
      EventRecorder aliceEvents = subscribe(alice);
      Session bob = login("bob");
      send(alice, "bob", "to bob");
      send(bob, "alice", "sentinel");
      assertThat(aliceEvents.nextMessage().message().text()).isEqualTo("sentinel");
    }

    @Test
    void messagesToAnOfflineUserArriveInOrderAtNextLogin() {
      accounts("alice", "bob");
      Session alice = login("alice");
      for (int i = 1; i <= 5; i++) {
        send(alice, "bob", "m" + i);
      }
      EventRecorder bob = subscribe(login("bob"));
      List<ChatEvent.MessageReceived> got = bob.nextMessages(5);
      assertThat(texts(got)).containsExactly("m1", "m2", "m3", "m4", "m5");
      assertThat(got.stream().map(ChatEvent.MessageReceived::seq)).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void unackedMessagesAreDeliveredAgainAtNextLoginAndAckedOnesAreNot() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      EventRecorder first = subscribe(bob);
      send(alice, "bob", "one");
      send(alice, "bob", "two");
      send(alice, "bob", "three");
      List<ChatEvent.MessageReceived> got = first.nextMessages(3);
      bob.ack(got.get(1).seq());
      bob.logout();

      EventRecorder again = subscribe(login("bob"));
      assertThat(again.nextMessage().message().text()).isEqualTo("three");
      assertThat(login("bob").fetchUndelivered(10))
          .extracting(d -> d.message().text())
          .containsExactly("three");
    }

    @Test
    void everySessionOfAUserReceivesAndAnAckFromAnyCounts() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session phone = login("bob");
      Session laptop = login("bob");
      EventRecorder onPhone = subscribe(phone);
      EventRecorder onLaptop = subscribe(laptop);
      send(alice, "bob", "both of you");
      long seq = onPhone.nextMessage().seq();
      assertThat(onLaptop.nextMessage().seq()).isEqualTo(seq);
      phone.ack(seq);
      assertThat(laptop.fetchUndelivered(10)).isEmpty();
      assertThat(login("bob").fetchUndelivered(10)).isEmpty();
    }

    @Test
    void fetchUndeliveredListsUnackedOldestFirstWithoutAcking() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      send(alice, "bob", "a");
      send(alice, "bob", "b");
      List<Delivery> undelivered = bob.fetchUndelivered(10);
      assertThat(undelivered).extracting(d -> d.message().text()).containsExactly("a", "b");
      assertThat(bob.fetchUndelivered(10)).hasSize(2);
      assertThat(bob.fetchUndelivered(1)).hasSize(1);
      bob.ack(undelivered.get(1).seq());
      assertThat(bob.fetchUndelivered(10)).isEmpty();
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> bob.fetchUndelivered(0));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> bob.ack(-1));
    }

    @Test
    void aResendWithTheSameClientMessageIdIsStoredOnce() {
      accounts("alice", "bob");
      Session alice = login("alice");
      SendReceipt first = alice.send(Recipient.user("bob"), MessageBody.text("once"), "c-1");
      SendReceipt again = alice.send(Recipient.user("bob"), MessageBody.text("once"), "c-1");
      assertThat(again.duplicate()).isTrue();
      assertThat(again.msgId()).isEqualTo(first.msgId());
      send(alice, "bob", "sentinel");
      EventRecorder bob = subscribe(login("bob"));
      assertThat(texts(bob.nextMessages(2))).containsExactly("once", "sentinel");
      assertThat(bob.drainNow()).isEmpty();
    }

    @Test
    void theSameClientMessageIdToAnotherRecipientIsANewMessage() {
      accounts("alice", "bob", "carol");
      Session alice = login("alice");
      SendReceipt toBob = alice.send(Recipient.user("bob"), MessageBody.text("for bob"), "c-1");
      SendReceipt toCarol =
          alice.send(Recipient.user("carol"), MessageBody.text("for carol"), "c-1");
      assertThat(toCarol.duplicate()).isFalse();
      assertThat(toCarol.msgId()).isNotEqualTo(toBob.msgId());
      assertThat(texts(subscribe(login("bob")).nextMessages(1))).containsExactly("for bob");
      assertThat(texts(subscribe(login("carol")).nextMessages(1))).containsExactly("for carol");
      // Still de-duplicated within each conversation.
      assertThat(alice.send(Recipient.user("carol"), MessageBody.text("for carol"), "c-1")
              .duplicate())
          .isTrue();
    }

    @Test
    void ackBeyondTheLastAssignedSequenceIsRejected() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      send(alice, "bob", "a");
      send(alice, "bob", "b");
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> bob.ack(3));
      assertThat(bob.fetchUndelivered(10)).extracting(d -> d.message().text())
          .containsExactly("a", "b");
      bob.ack(2);
      assertThat(bob.fetchUndelivered(10)).isEmpty();
      send(alice, "bob", "c");
      assertThat(bob.fetchUndelivered(10)).extracting(d -> d.message().text())
          .containsExactly("c");
    }

    @Test
    void badSendsAreRejectedWithClearCodes() {
      accounts("alice", "bob");
      Session alice = login("alice");
      assertCode(ErrorCode.NOT_FOUND, () -> send(alice, "zed", "hi"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> send(alice, "alice", "me"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> send(alice, "bob", "   "));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> send(alice, "bob", "x".repeat(101)));
      assertCode(
          ErrorCode.INVALID_ARGUMENT,
          () -> alice.send(Recipient.user("bob"), MessageBody.text("hi"), "x".repeat(65)));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.send(Recipient.user("Bad Name!"), "hi"));
      CompletableFuture<SendReceipt> f =
          alice.sendAsync(Recipient.user("zed"), MessageBody.text("hi"), null);
      assertThat(f).failsWithin(Duration.ofSeconds(10));
    }

    @Test
    void sealedEnvelopesPassThroughByteForByte() {
      accounts("alice", "bob");
      Session alice = login("alice");
      byte[] envelope = new byte[256];
      for (int i = 0; i < envelope.length; i++) {
        envelope[i] = (byte) i;
      }
      alice.send(Recipient.user("bob"), MessageBody.sealed(envelope), null);
      EventRecorder bob = subscribe(login("bob"));
      MessageBody body = bob.nextMessage().message().body();
      assertThat(body).isInstanceOf(MessageBody.Sealed.class);
      assertThat(((MessageBody.Sealed) body).envelope()).isEqualTo(envelope);
    }

    @Test
    void orderIsPreservedPerConversation() {
      accounts("alice", "bob");
      Session alice = login("alice");
      EventRecorder bob = subscribe(login("bob"));
      List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("n" + i), null));
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
      List<String> got = texts(bob.nextMessages(200));
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        expected.add("n" + i);
      }
      assertThat(got).containsExactlyElementsOf(expected);
    }

    @Test
    void messagesStoredWhileTheRecipientSubscribesArriveOnceInOrderWithoutGaps() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      EventRecorder racing = EventRecorder.unbounded();
      int n = 300;
      List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("r" + i), null));
        if (i == n / 3) {
          bob.events(0).subscribe(racing); // while the sends are being stored and pushed
        }
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
      send(alice, "bob", "last");
      List<ChatEvent.MessageReceived> got = racing.nextMessages(n + 1);
      for (int i = 0; i < n; i++) {
        assertThat(got.get(i).seq()).isEqualTo(i + 1);
        assertThat(got.get(i).message().text()).isEqualTo("r" + i);
      }
      assertThat(got.get(n).message().text()).isEqualTo("last");
    }

    @Test
    void aSubscriptionResumesAfterTheGivenCursor() {
      accounts("alice", "bob");
      Session alice = login("alice");
      for (int i = 1; i <= 5; i++) {
        send(alice, "bob", "m" + i);
      }
      Session bob = login("bob");
      EventRecorder resumed = subscribe(bob, 3);
      assertThat(texts(resumed.nextMessages(2))).containsExactly("m4", "m5");
    }

    @Test
    void aReaderThatStopsReadingLosesNothingAndKeepsOrder() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      EventRecorder slow = EventRecorder.manual();
      bob.events(0).subscribe(slow);
      slow.awaitSubscribed();
      int n = 3000;
      List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("s" + i), null));
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
      slow.request(Long.MAX_VALUE);
      List<ChatEvent.MessageReceived> got = slow.nextMessages(n);
      for (int i = 0; i < n; i++) {
        assertThat(got.get(i).seq()).isEqualTo(i + 1);
        assertThat(got.get(i).message().text()).isEqualTo("s" + i);
      }
    }

    @Test
    void subscribingAgainEndsThePreviousStream() {
      accounts("alice", "bob");
      Session bob = login("bob");
      EventRecorder first = subscribe(bob);
      EventRecorder second = subscribe(bob);
      first.awaitComplete();
      send(login("alice"), "bob", "to the new stream");
      assertThat(second.nextMessage().message().text()).isEqualTo("to the new stream");
    }
  }

  // ---- history ----------------------------------------------------------------------------------

  @Nested
  class History {
    @Test
    void directHistoryHasBothDirectionsOldestFirstAndPages() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      send(alice, "bob", "1");
      send(bob, "alice", "2");
      send(alice, "bob", "3");
      List<Message> all = alice.history(Recipient.user("bob"), 0, 10);
      assertThat(all).extracting(Message::text).containsExactly("1", "2", "3");
      assertThat(bob.history(Recipient.user("alice"), 0, 10)).isEqualTo(all);
      List<Message> lastTwo = alice.history(Recipient.user("bob"), 0, 2);
      assertThat(lastTwo).extracting(Message::text).containsExactly("2", "3");
      List<Message> before = alice.history(Recipient.user("bob"), lastTwo.get(0).id(), 10);
      assertThat(before).extracting(Message::text).containsExactly("1");
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.history(Recipient.user("bob"), 0, 501));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.history(Recipient.user("zed"), 0, 10));
    }

    @Test
    void groupHistoryIsForMembersOnly() {
      accounts("alice", "bob", "doug");
      Session alice = login("alice");
      groupWith(alice, "team", "bob");
      sendGroup(alice, "team", "hello team");
      assertThat(login("bob").history(Recipient.group("team"), 0, 10))
          .extracting(Message::text)
          .containsExactly("hello team");
      assertCode(
          ErrorCode.PERMISSION_DENIED, () -> login("doug").history(Recipient.group("team"), 0, 10));
    }
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Nested
  class Groups {
    @Test
    void membersWhoLogInLaterReceiveTheGroupMessage() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad");
      sendGroup(alice, "team", "standup in 5");
      for (String member : List.of("bob", "chad")) {
        ChatEvent.MessageReceived m = subscribe(login(member)).nextMessage();
        assertThat(m.message().text()).isEqualTo("standup in 5");
        assertThat(m.message().from()).isEqualTo("alice");
        assertThat(m.message().to()).isEqualTo(Recipient.group("team"));
      }
    }

    @Test
    void allOnlineEveryMemberButTheSenderReceives() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      Session bob = login("bob");
      Session chad = login("chad");
      groupWith(alice, "team", "bob", "chad");
      EventRecorder aliceEvents = subscribe(alice);
      EventRecorder bobEvents = subscribe(bob);
      EventRecorder chadEvents = subscribe(chad);
      sendGroup(bob, "team", "from bob");
      assertThat(aliceEvents.nextMessage().message().text()).isEqualTo("from bob");
      assertThat(chadEvents.nextMessage().message().text()).isEqualTo("from bob");
      send(alice, "bob", "sentinel");
      assertThat(bobEvents.nextMessage().message().text()).isEqualTo("sentinel");
    }

    @Test
    void aNonMemberReceivesNothingAndCannotPost() {
      accounts("alice", "bob", "chad", "doug");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad");
      Session doug = login("doug");
      EventRecorder dougEvents = subscribe(doug);
      sendGroup(alice, "team", "members only");
      send(alice, "doug", "sentinel");
      assertThat(dougEvents.nextMessage().message().text()).isEqualTo("sentinel");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> sendGroup(doug, "team", "let me in"));
    }

    @Test
    void invitedUsersAreNotMembersUntilTheyAccept() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      alice.createGroup("team", List.of("bob"));
      assertThat(bobEvents.next(ChatEvent.GroupInvited.class))
          .isEqualTo(new ChatEvent.GroupInvited("team", "alice"));
      assertThat(alice.groupInfo("team").members()).containsExactly("alice");
      sendGroup(alice, "team", "before bob accepts");
      send(alice, "bob", "sentinel");
      assertThat(bobEvents.nextMessage().message().text()).isEqualTo("sentinel");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> sendGroup(bob, "team", "not yet"));
      assertThat(bob.listGroups(null, 10).items()).isEmpty();
      assertThat(bob.invitations()).extracting(GroupInvite::group, GroupInvite::by)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("team", "alice"));
    }

    @Test
    void anUninvitedJoinIsRefusedAndAPublicGroupIsOpenToAll() {
      accounts("alice", "eve");
      Session alice = login("alice");
      alice.createGroup("team", List.of());
      Session eve = login("eve");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> eve.joinGroup("team"));
      assertCode(ErrorCode.NOT_FOUND, () -> eve.joinGroup("nosuchgroup"));
      assertThat(alice.groupInfo("team").members()).containsExactly("alice");

      alice.createGroup("lobby", List.of(), GroupPolicy.PUBLIC);
      eve.joinGroup("lobby");
      eve.joinGroup("lobby"); // joining twice is fine
      assertThat(alice.groupInfo("lobby").members()).containsExactly("alice", "eve");
      alice.setGroupPolicy("team", GroupPolicy.PUBLIC);
      eve.joinGroup("team");
      assertThat(eve.listGroups(null, 10).items()).extracting(GroupInfo::group)
          .containsExactly("lobby", "team");
    }

    @Test
    void anInvitationWaitsForLoginAndCanBeDeclined() {
      accounts("alice", "bob");
      Session alice = login("alice");
      alice.createGroup("team", List.of("bob"));
      alice.createGroup("crew", List.of("bob"));
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      assertThat(List.of(bobEvents.next(), bobEvents.next()))
          .containsExactlyInAnyOrder(
              new ChatEvent.GroupInvited("team", "alice"),
              new ChatEvent.GroupInvited("crew", "alice"));
      bob.declineInvite("crew");
      assertCode(ErrorCode.NOT_FOUND, () -> bob.declineInvite("crew"));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.joinGroup("crew"));
      bob.joinGroup("team");
      assertThat(bob.invitations()).isEmpty();
      assertThat(bob.listGroups(null, 10).items())
          .containsExactly(
              new GroupInfo(
                  "team",
                  GroupRole.MEMBER,
                  GroupPolicy.PRIVATE,
                  List.of(
                      new GroupMember("alice", GroupRole.OWNER),
                      new GroupMember("bob", GroupRole.MEMBER))));
      EventRecorder again = subscribe(login("bob"));
      send(alice, "bob", "sentinel");
      assertThat(again.nextMessage().message().text())
          .as("no invitation is pushed again once answered")
          .isEqualTo("sentinel");
    }

    @Test
    void historyStartsAtTheJoinUnlessAPublicGroupSharesIt() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      alice.createGroup("team", List.of("bob"));
      sendGroup(alice, "team", "the launch code");
      Session bob = login("bob");
      bob.joinGroup("team");
      sendGroup(alice, "team", "welcome bob");
      assertThat(bob.history(Recipient.group("team"), 0, 10))
          .extracting(Message::text)
          .containsExactly("welcome bob");
      assertThat(alice.history(Recipient.group("team"), 0, 10))
          .extracting(Message::text)
          .containsExactly("the launch code", "welcome bob");
      assertThat(subscribe(bob).nextMessage().message().text()).isEqualTo("welcome bob");

      alice.createGroup("open", List.of(), new GroupPolicy(true, true));
      sendGroup(alice, "open", "minutes of the last meeting");
      Session chad = login("chad");
      chad.joinGroup("open");
      assertThat(chad.history(Recipient.group("open"), 0, 10))
          .extracting(Message::text)
          .containsExactly("minutes of the last meeting");
      assertCode(
          ErrorCode.INVALID_ARGUMENT,
          () -> alice.createGroup("odd", List.of(), new GroupPolicy(false, true)));
    }

    @Test
    void aGroupMadePublicWithSharedHistoryHidesItsPrivateEra() {
      accounts("alice", "bob", "eve");
      Session alice = login("alice");
      groupWith(alice, "team", "bob");
      sendGroup(alice, "team", "the launch code");
      GroupPolicy shared = new GroupPolicy(true, true);
      alice.setGroupPolicy("team", shared);
      sendGroup(alice, "team", "welcome, everyone");
      Session eve = login("eve");
      eve.joinGroup("team");
      assertThat(eve.history(Recipient.group("team"), 0, 10))
          .extracting(Message::text)
          .containsExactly("welcome, everyone");
      assertThat(alice.groupInfo("team").policy()).isEqualTo(shared);

      // Sharing off and on again shares only from the second switch on.
      alice.setGroupPolicy("team", GroupPolicy.PUBLIC);
      sendGroup(alice, "team", "between the switches");
      alice.setGroupPolicy("team", shared);
      sendGroup(alice, "team", "after the switch");
      accounts("fay");
      Session fay = login("fay");
      fay.joinGroup("team");
      assertThat(fay.history(Recipient.group("team"), 0, 10))
          .extracting(Message::text)
          .containsExactly("after the switch");
    }

    @Test
    void everyMemberIsToldOfAPolicyChange() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad");
      Session bob = login("bob");
      Session chad = login("chad");
      EventRecorder aliceEvents = subscribe(alice);
      EventRecorder bobEvents = subscribe(bob);
      EventRecorder chadEvents = subscribe(chad);
      alice.setRole("team", "bob", GroupRole.ADMIN);
      for (EventRecorder r : List.of(aliceEvents, bobEvents, chadEvents)) {
        assertThat(r.next(ChatEvent.RoleChanged.class).user()).isEqualTo("bob");
      }

      bob.setGroupPolicy("team", new GroupPolicy(true, true));
      ChatEvent opened = new ChatEvent.PolicyChanged("team", new GroupPolicy(true, true), "bob");
      for (EventRecorder r : List.of(aliceEvents, bobEvents, chadEvents)) {
        assertThat(r.next()).isEqualTo(opened);
      }
      bob.setGroupPolicy("team", new GroupPolicy(true, true)); // no change, no event
      alice.setGroupPolicy("team", GroupPolicy.PRIVATE);
      ChatEvent closed = new ChatEvent.PolicyChanged("team", GroupPolicy.PRIVATE, "alice");
      for (EventRecorder r : List.of(aliceEvents, bobEvents, chadEvents)) {
        assertThat(r.next()).isEqualTo(closed);
      }
    }

    @Test
    void aRemovedMemberGetsNothingMoreAndCannotReadTheGroup() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad");
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      alice.removeMember("team", "bob");
      assertThat(bobEvents.next(ChatEvent.MemberRemoved.class))
          .isEqualTo(new ChatEvent.MemberRemoved("team", "bob", "alice"));
      sendGroup(alice, "team", "bob is gone");
      send(alice, "bob", "sentinel");
      assertThat(bobEvents.nextMessage().message().text()).isEqualTo("sentinel");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.history(Recipient.group("team"), 0, 10));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.groupInfo("team"));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> sendGroup(bob, "team", "still here?"));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.joinGroup("team"));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.removeMember("team", "bob"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.removeMember("team", "alice"));
    }

    @Test
    void membershipEventsReachEveryMember() {
      accounts("alice", "bob", "chad");
      Session alice = login("alice");
      groupWith(alice, "team", "bob");
      Session bob = login("bob");
      EventRecorder aliceEvents = subscribe(alice);
      EventRecorder bobEvents = subscribe(bob);
      alice.invite("team", List.of("chad"));
      Session chad = login("chad");
      chad.joinGroup("team");
      EventRecorder chadEvents = subscribe(chad);
      ChatEvent joined = new ChatEvent.MemberJoined("team", "chad", "alice");
      assertThat(aliceEvents.next()).isEqualTo(joined);
      assertThat(bobEvents.next()).isEqualTo(joined);

      alice.setRole("team", "bob", GroupRole.ADMIN);
      ChatEvent promoted = new ChatEvent.RoleChanged("team", "bob", GroupRole.ADMIN, "alice");
      for (EventRecorder r : List.of(aliceEvents, bobEvents, chadEvents)) {
        assertThat(r.next()).isEqualTo(promoted);
      }
      bob.removeMember("team", "chad");
      ChatEvent removed = new ChatEvent.MemberRemoved("team", "chad", "bob");
      for (EventRecorder r : List.of(aliceEvents, bobEvents, chadEvents)) {
        assertThat(r.next()).isEqualTo(removed);
      }
      bob.leaveGroup("team");
      assertThat(aliceEvents.next()).isEqualTo(new ChatEvent.MemberLeft("team", "bob"));
      assertThat(alice.groupInfo("team").members()).containsExactly("alice");
    }

    @Test
    void onlyOwnersAndAdminsManageAndAdminsCannotTouchTheirPeers() {
      accounts("alice", "bob", "chad", "dora", "eve");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad", "dora");
      Session bob = login("bob");
      Session chad = login("chad");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.invite("team", List.of("eve")));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.removeMember("team", "chad"));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.setRole("team", "bob", GroupRole.ADMIN));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.setGroupPolicy("team", GroupPolicy.PUBLIC));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> login("eve").invite("team", List.of("eve")));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.invite("nosuchgroup", List.of("eve")));

      alice.setRole("team", "bob", GroupRole.ADMIN);
      bob.setRole("team", "chad", GroupRole.ADMIN); // admins make admins
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.setRole("team", "chad", GroupRole.MEMBER));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.removeMember("team", "chad"));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.setRole("team", "dora", GroupRole.OWNER));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> bob.removeMember("team", "alice"));
      bob.removeMember("team", "dora");
      bob.invite("team", List.of("eve"));
      alice.setRole("team", "chad", GroupRole.MEMBER);
      assertThat(chad.groupInfo("team").role()).isEqualTo(GroupRole.MEMBER);
      assertThat(alice.groupInfo("team").roster())
          .containsExactly(
              new GroupMember("alice", GroupRole.OWNER),
              new GroupMember("bob", GroupRole.ADMIN),
              new GroupMember("chad", GroupRole.MEMBER));
    }

    @Test
    void theLastOwnerCannotLeaveOrStepDownWhileOthersRemain() {
      accounts("alice", "bob");
      Session alice = login("alice");
      groupWith(alice, "team", "bob");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> alice.leaveGroup("team"));
      assertCode(
          ErrorCode.PERMISSION_DENIED, () -> alice.setRole("team", "alice", GroupRole.MEMBER));
      alice.setRole("team", "bob", GroupRole.OWNER);
      alice.leaveGroup("team");
      Session bob = login("bob");
      assertThat(bob.groupInfo("team").roster())
          .containsExactly(new GroupMember("bob", GroupRole.OWNER));
      bob.leaveGroup("team"); // alone: the group goes with the last member
      assertCode(ErrorCode.NOT_FOUND, () -> bob.groupInfo("team"));
    }

    @Test
    void aSoleOwnerCannotStepDownEvenAlone() {
      accounts("alice", "bob");
      Session alice = login("alice");
      alice.createGroup("solo", List.of("bob"));
      // alone (bob only invited): stepping down would leave a group no one can manage
      assertCode(
          ErrorCode.PERMISSION_DENIED, () -> alice.setRole("solo", "alice", GroupRole.ADMIN));
      assertCode(
          ErrorCode.PERMISSION_DENIED, () -> alice.setRole("solo", "alice", GroupRole.MEMBER));
      assertThat(alice.groupInfo("solo").role()).isEqualTo(GroupRole.OWNER);
      alice.invite("solo", List.of("bob")); // still manages it
    }

    @Test
    void deletingTheLastOwnerHandsTheGroupToTheLongestStandingAdmin() {
      accounts("alice", "bob", "chad", "dora");
      Session alice = login("alice");
      groupWith(alice, "team", "bob", "chad", "dora");
      alice.setRole("team", "dora", GroupRole.ADMIN);
      alice.setRole("team", "chad", GroupRole.ADMIN);
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      alice.deleteAccount();
      assertThat(bobEvents.next()).isEqualTo(new ChatEvent.MemberLeft("team", "alice"));
      assertThat(bobEvents.next())
          .isEqualTo(new ChatEvent.RoleChanged("team", "chad", GroupRole.OWNER, null));
      assertThat(bob.groupInfo("team").roster())
          .containsExactly(
              new GroupMember("bob", GroupRole.MEMBER),
              new GroupMember("chad", GroupRole.OWNER),
              new GroupMember("dora", GroupRole.ADMIN));
    }

    @Test
    void groupInfoIsForMembersOnly() {
      accounts("alice", "eve");
      login("alice").createGroup("team", List.of("eve"));
      Session eve = login("eve");
      assertCode(ErrorCode.PERMISSION_DENIED, () -> eve.groupInfo("team"));
      assertCode(ErrorCode.NOT_FOUND, () -> eve.groupInfo("nosuchgroup"));
    }

    @Test
    void groupsAndInvitationsAreBounded() {
      accounts("alice", "bob", "c1", "c2", "c3", "c4", "c5");
      Session alice = login("alice");
      alice.createGroup("team", List.of("bob"));
      assertCode(ErrorCode.ALREADY_EXISTS, () -> alice.createGroup("team", List.of("bob")));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.createGroup("other", List.of("zed")));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.groupInfo("other"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.createGroup("bad name", List.of("bob")));
      // the limit in this suite is 5 members, the creator included, pending invitations counted
      assertCode(
          ErrorCode.INVALID_ARGUMENT,
          () -> alice.createGroup("big", List.of("c1", "c2", "c3", "c4", "c5")));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.groupInfo("big"));
      alice.createGroup("full", List.of("c1", "c2"));
      alice.invite("full", List.of("c3", "c4"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.invite("full", List.of("c5")));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.invite("full", List.of()));
      List<String> many = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        many.add("c" + i);
      }
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.invite("full", many));
      alice.invite("full", List.of("c1", "alice")); // already invited, or a member: no-op
      assertThat(login("c5").invitations()).isEmpty();
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.setRole("full", "c1", null));

      alice.createGroup("lobby", List.of(), GroupPolicy.PUBLIC);
      for (String c : List.of("c1", "c2", "c3", "c4")) {
        login(c).joinGroup("lobby");
      }
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> login("c5").joinGroup("lobby"));
    }

    @Test
    void oneUserCannotFillAnothersInvitationsToShutOutOtherInviters() {
      accounts("alice", "bob", "eve");
      Session eve = login("eve");
      for (int i = 0; i < Limits.MAX_PENDING_INVITES_PER_INVITER; i++) {
        eve.createGroup("spam" + i, List.of("bob"));
      }
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> eve.createGroup("spam", List.of("bob")));
      assertCode(ErrorCode.NOT_FOUND, () -> eve.groupInfo("spam"));
      login("alice").createGroup("team", List.of("bob"));
      Session bob = login("bob");
      assertThat(bob.invitations())
          .hasSize(Limits.MAX_PENDING_INVITES_PER_INVITER + 1)
          .extracting(GroupInvite::by)
          .contains("alice");
      bob.joinGroup("team");
    }

    @Test
    void membershipChangesAreChargedByTheMembersTheyTell() throws Exception {
      recipientsPerSecond = new RateLimit(4, 4);
      start(AuthMode.OPEN);
      accounts("alice", "c1", "c2", "c3", "eve");
      Session alice = login("alice");
      alice.createGroup("lobby", List.of(), GroupPolicy.PUBLIC);
      for (String c : List.of("c1", "c2", "c3")) {
        login(c).joinGroup("lobby");
      }
      Session eve = login("eve");
      eve.joinGroup("lobby"); // tells the four members: the whole budget
      // so joining and leaving a big group in a loop cannot flood its members' screens
      assertCode(ErrorCode.RATE_LIMITED, () -> eve.leaveGroup("lobby"));
      assertThat(alice.groupInfo("lobby").members()).contains("eve");
      clock.advance(Duration.ofSeconds(1));
      eve.leaveGroup("lobby");
      assertThat(alice.groupInfo("lobby").members()).doesNotContain("eve");
      alice.setRole("lobby", "c1", GroupRole.ADMIN); // tells three
      assertCode(ErrorCode.RATE_LIMITED, () -> alice.removeMember("lobby", "c2"));
      clock.advance(Duration.ofSeconds(1));
      alice.removeMember("lobby", "c2");
    }

    @Test
    void aGroupSendIsChargedByItsRecipients() throws Exception {
      int others = 1000;
      limits = Limits.defaults().withMaxGroupMembers(others + 1);
      recipientsPerSecond = new RateLimit(others, others);
      start(AuthMode.OPEN);
      accounts("alice", "bob");
      store.createGroup("crowd", "alice", GroupPolicy.PRIVATE, clock.instant());
      for (int i = 0; i < others; i++) {
        store.createAccount("u" + i, null, clock.instant());
        store.addMember("crowd", "u" + i, GroupRole.MEMBER, 0);
      }
      Session alice = login("alice");
      sendGroup(alice, "crowd", "to a thousand");
      assertThatThrownBy(() -> send(alice, "bob", "one more"))
          .isInstanceOf(ChatException.class)
          .satisfies(
              e -> {
                ChatException c = (ChatException) e;
                assertThat(c.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                assertThat(c.retryAfter()).isPositive();
              });
      clock.advance(Duration.ofMillis(1));
      send(alice, "bob", "one recipient costs one");
      clock.advance(Duration.ofSeconds(1));
      sendGroup(alice, "crowd", "a second later");
      assertThat(store.lastSeq("u999")).isEqualTo(2);
    }

    @Test
    void anOwnerCanWithdrawAnUnansweredInvitationToFreeItsPlace() {
      accounts("alice", "bob", "c1", "c2", "c3", "c4", "c5");
      Session alice = login("alice");
      alice.createGroup("full", List.of("c1", "c2", "c3", "c4")); // 5 places, all taken
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.invite("full", List.of("c5")));
      assertCode(ErrorCode.PERMISSION_DENIED, () -> login("c1").removeMember("full", "c4"));
      alice.removeMember("full", "c4");
      Session c4 = login("c4");
      assertThat(c4.invitations()).isEmpty();
      assertCode(ErrorCode.PERMISSION_DENIED, () -> c4.joinGroup("full"));
      alice.invite("full", List.of("c5"));
      login("c5").joinGroup("full");
      assertCode(ErrorCode.NOT_FOUND, () -> alice.removeMember("full", "bob"));
    }

    @Test
    void aPageOfGroupsIsBoundedByTheMembersItLists() {
      accounts("alice", "u1", "u2", "u3", "u4");
      for (int i = 10; i < 22; i++) {
        store.createGroup("g" + i, "alice", GroupPolicy.PRIVATE, clock.instant());
        for (String u : List.of("u1", "u2", "u3", "u4")) {
          store.addMember("g" + i, u, GroupRole.MEMBER, 0);
        }
      }
      Session alice = login("alice");
      // ten full groups of 5 are the budget (10 x maxGroupMembers), not the 100 asked for
      Page<GroupInfo> first = alice.listGroups(null, 100);
      assertThat(first.items()).hasSize(10);
      assertThat(first.next()).isEqualTo("g19");
      Page<GroupInfo> second = alice.listGroups(first.next(), 100);
      assertThat(second.items()).extracting(GroupInfo::group).containsExactly("g20", "g21");
      assertThat(second.next()).isNull();
    }

    @Test
    void listGroupsShowsOnlyMyGroupsWithMyRolePaged() {
      accounts("alice", "bob");
      Session alice = login("alice");
      for (String g : List.of("g1", "g2", "g3")) {
        alice.createGroup(g, List.of());
      }
      login("bob").createGroup("bobs", List.of());
      Page<GroupInfo> first = alice.listGroups(null, 2);
      assertThat(first.items()).extracting(GroupInfo::group).containsExactly("g1", "g2");
      assertThat(first.items()).extracting(GroupInfo::role).containsOnly(GroupRole.OWNER);
      Page<GroupInfo> second = alice.listGroups(first.next(), 2);
      assertThat(second.items()).extracting(GroupInfo::group).containsExactly("g3");
      assertThat(second.next()).isNull();
    }
  }

  // ---- chat requests ----------------------------------------------------------------------------

  @Nested
  class ChatRequests {
    @Test
    void anOnlinePeerIsAskedAndTheRequesterHearsTheAnswer() {
      accounts("alice", "bob");
      Session alice = login("alice");
      EventRecorder aliceEvents = subscribe(alice);
      Session bob = login("bob");
      EventRecorder bobEvents = subscribe(bob);
      alice.requestChat("bob");
      assertThat(bobEvents.next()).isEqualTo(new ChatEvent.ChatRequested("alice"));
      bob.respondChat("alice", true);
      assertThat(aliceEvents.next()).isEqualTo(new ChatEvent.ChatAnswered("bob", true));
      assertCode(ErrorCode.NOT_FOUND, () -> bob.respondChat("alice", true));
    }

    @Test
    void aRequestWaitsForAPeerWhoLogsInLater() {
      accounts("alice", "bob");
      Session alice = login("alice");
      EventRecorder aliceEvents = subscribe(alice);
      alice.requestChat("bob");
      Session bob = login("bob");
      assertThat(subscribe(bob).next()).isEqualTo(new ChatEvent.ChatRequested("alice"));
      bob.respondChat("alice", false);
      assertThat(aliceEvents.next()).isEqualTo(new ChatEvent.ChatAnswered("bob", false));
    }

    @Test
    void theUndeliveredBacklogComesBeforePendingRequests() {
      accounts("alice", "bob");
      Session alice = login("alice");
      send(alice, "bob", "earlier");
      alice.requestChat("bob");
      EventRecorder bob = subscribe(login("bob"));
      assertThat(bob.nextMessage().message().text()).isEqualTo("earlier");
      assertThat(bob.next()).isEqualTo(new ChatEvent.ChatRequested("alice"));
    }

    @Test
    void badRequestsAreRejected() {
      accounts("alice", "bob");
      Session alice = login("alice");
      assertCode(ErrorCode.NOT_FOUND, () -> alice.requestChat("zed"));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.requestChat("alice"));
      assertCode(ErrorCode.NOT_FOUND, () -> alice.respondChat("bob", true));
    }
  }

  // ---- end-to-end keys -------------------------------------------------------------------------

  @Nested
  class Keys {
    @Test
    void publishedKeysCanBeFetchedByOthersAndReplaced() {
      accounts("alice", "bob");
      Session alice = login("alice");
      Session bob = login("bob");
      assertThat(bob.fetchKeys("alice")).isEmpty();
      alice.publishKeys(utf8("alice-keys-v1"));
      assertThat(bob.fetchKeys("ALICE")).hasValueSatisfying(k -> assertThat(k).isEqualTo(utf8("alice-keys-v1")));
      alice.publishKeys(utf8("alice-keys-v2"));
      assertThat(bob.fetchKeys("alice")).hasValueSatisfying(k -> assertThat(k).isEqualTo(utf8("alice-keys-v2")));
    }

    @Test
    void keyBundlesAreBoundedAndNeedAnExistingUser() {
      accounts("alice");
      Session alice = login("alice");
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.publishKeys(new byte[0]));
      assertCode(ErrorCode.INVALID_ARGUMENT, () -> alice.publishKeys(new byte[Limits.MAX_KEY_BUNDLE + 1]));
      alice.publishKeys(new byte[Limits.MAX_KEY_BUNDLE]);
      assertCode(ErrorCode.NOT_FOUND, () -> alice.fetchKeys("zed"));
    }

    @Test
    void deletingTheAccountDeletesItsKeys() {
      accounts("alice", "bob");
      Session alice = login("alice");
      alice.publishKeys(utf8("old keys"));
      alice.deleteAccount();
      chat.createAccount("alice", null);
      assertThat(login("bob").fetchKeys("alice")).isEmpty();
    }
  }

  // ---- utilities --------------------------------------------------------------------------------

  protected static ChatException catchChat(ThrowingCallable call) {
    try {
      call.call();
    } catch (ChatException e) {
      return e;
    } catch (Throwable t) {
      throw new AssertionError("expected a ChatException, got " + t, t);
    }
    throw new AssertionError("expected a ChatException, nothing was thrown");
  }

  protected static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
