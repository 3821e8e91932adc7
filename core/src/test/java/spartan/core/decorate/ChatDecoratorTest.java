package spartan.core.decorate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.cache.RecentMessages;
import spartan.core.limit.FakeTicker;
import spartan.core.limit.RateLimit;
import spartan.core.limit.RateLimiter;
import spartan.core.service.LocalChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;

class ChatDecoratorTest {
  private final FakeTicker ticker = new FakeTicker();
  private ChatStore store;
  private RecentMessages recent;
  private LocalChatService core;
  private ChatService chat;

  @BeforeEach
  void start() {
    recent = RecentMessages.builder().build();
    store = new MemoryChatStore();
    core =
        LocalChatService.builder()
            .store(recent.wrap(store))
            .deliveryExecutor(Runnable::run)
            .build();
    RateLimiter limiter = RateLimiter.builder().perSecond(1).burst(2).ticker(ticker).build();
    chat =
        ChatDecorator.builder()
            .rateLimiter(limiter, Runnable::run)
            .recentMessages(recent)
            .build()
            .decorate(core);
    for (String n : List.of("alice", "bob")) {
      chat.createAccount(n, null);
    }
  }

  @AfterEach
  void stop() {
    chat.close();
  }

  private static ChatException rateLimited(Runnable call) {
    try {
      call.run();
    } catch (ChatException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
      return e;
    }
    throw new AssertionError("not rate limited");
  }

  @Test
  void thePlanComesFromTheAnnotations() {
    ChatDecorator decorator =
        ChatDecorator.builder()
            .rateLimiter(RateLimiter.builder().build(), Runnable::run)
            .recentMessages(recent)
            .build();
    assertThat(decorator.plan())
        .containsExactly(
            org.assertj.core.api.Assertions.entry("createGroup(3 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("declineInvite(1 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("history(3 args)", "cached"),
            org.assertj.core.api.Assertions.entry("invite(2 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("joinGroup(1 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("leaveGroup(1 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("publishKeys(1 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("removeMember(2 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("requestChat(1 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("respondChat(2 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("sendAsync(3 args)", "rate limited (SEND)"),
            org.assertj.core.api.Assertions.entry(
                "setGroupPolicy(2 args)", "rate limited (CONTROL)"),
            org.assertj.core.api.Assertions.entry("setRole(3 args)", "rate limited (CONTROL)"));
    assertThat(ChatDecorator.builder().build().plan()).isEmpty();
    // Caching configured off: the server passes null, and only the limit is applied.
    assertThat(
            ChatDecorator.builder()
                .rateLimiter(RateLimiter.builder().build(), Runnable::run)
                .recentMessages(null)
                .build()
                .plan())
        .containsOnlyKeys(
            "sendAsync(3 args)", "createGroup(3 args)", "invite(2 args)", "joinGroup(1 args)",
            "declineInvite(1 args)", "leaveGroup(1 args)", "removeMember(2 args)",
            "setRole(3 args)", "setGroupPolicy(2 args)", "publishKeys(1 args)",
            "requestChat(1 args)", "respondChat(2 args)");
  }

  @Test
  void sendsBeyondTheLimitFailWithTheRetryDelayAndStoreNothing() {
    Session alice = chat.login("alice", null);
    alice.send(Recipient.user("bob"), "one");
    alice.send(Recipient.user("bob"), "two");
    ChatException e = rateLimited(() -> alice.send(Recipient.user("bob"), "three"));
    assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));

    CompletableFuture<SendReceipt> async =
        alice.sendAsync(Recipient.user("bob"), MessageBody.text("four"), null);
    assertThat(async).isCompletedExceptionally();
    assertThat(ChatException.wrap(async.handle((r, t) -> t).join()).code())
        .isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(store.inbox("bob", 0, 10)).hasSize(2);

    ticker.advance(Duration.ofSeconds(1));
    alice.send(Recipient.user("bob"), "five");
    assertThat(store.inbox("bob", 0, 10)).hasSize(3);
  }

  @Test
  void theBudgetIsPerUserAcrossSessionsAndResumedSessions() {
    Session alice1 = chat.login("alice", null);
    Session alice2 = chat.login("alice", null);
    alice1.send(Recipient.user("bob"), "one");
    alice2.send(Recipient.user("bob"), "two");
    rateLimited(() -> alice1.send(Recipient.user("bob"), "three"));
    Session resumed = chat.resume(alice1.token());
    rateLimited(() -> resumed.send(Recipient.user("bob"), "three"));

    Session bob = chat.login("bob", null);
    bob.send(Recipient.user("alice"), "bob has his own budget");
  }

  @Test
  void everyResumeOfASessionGivesTheOneDecoratedSessionSoItsCallOrderIsPerSession() {
    Session alice = chat.login("alice", null);
    Session again = chat.resume(alice.token());
    assertThat(again).isSameAs(alice).isSameAs(chat.resume(alice.token()));
    assertThat(chat.login("alice", null)).as("another session").isNotSameAs(alice);
  }

  @Test
  void otherCallsPassThroughUnlimited() {
    Session alice = chat.login("alice", null);
    for (int i = 0; i < 20; i++) {
      assertThat(alice.listAccounts("*", null, 10).items()).hasSize(2);
      alice.fetchUndelivered(10);
    }
    assertThat(alice.user()).isEqualTo("alice");
    assertThat(alice.token()).isNotBlank();
    assertThat(alice).isEqualTo(alice).isNotEqualTo(chat.login("alice", null));
    assertThat(alice.toString()).contains("alice");
    alice.logout();
    assertThatThrownBy(() -> alice.fetchUndelivered(1))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
  }

  @Test
  void aCachedCallOnASessionWithoutACachedFormJustRunsTheCall() {
    chat.login("alice", null).send(Recipient.user("bob"), "hi");
    Session bob = core.login("bob", null);
    // A session that only implements Session, as a remote one would.
    Session opaque =
        (Session)
            java.lang.reflect.Proxy.newProxyInstance(
                Session.class.getClassLoader(),
                new Class<?>[] {Session.class},
                (proxy, method, args) -> {
                  try {
                    return method.invoke(bob, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    Session decorated = ChatDecorator.builder().recentMessages(recent).build().decorate(opaque);
    assertThat(decorated.history(Recipient.user("alice"), 0, 5)).hasSize(1);
    assertThat(decorated.history(Recipient.user("alice"), 0, 5)).hasSize(1);
    assertThat(recent.stats().hits() + recent.stats().misses()).isZero();
  }

  @Test
  void historyGoesThroughTheCache() {
    Session alice = chat.login("alice", null);
    alice.send(Recipient.user("bob"), "hi");
    Session bob = chat.login("bob", null);
    assertThat(bob.history(Recipient.user("alice"), 0, 5)).hasSize(1);
    assertThat(bob.history(Recipient.user("alice"), 0, 5)).hasSize(1);
    assertThat(recent.stats().hits()).isEqualTo(1);
    assertThat(recent.stats().misses()).isEqualTo(1);
  }

  @Test
  void chatRequestsAreLimitedLikeSendsSoNoOneCanFloodAnotherScreen() {
    Session alice = chat.login("alice", null);
    ChatException limited = null;
    for (int i = 0; i < 100 && limited == null; i++) {
      try {
        alice.requestChat("bob");
      } catch (ChatException e) {
        limited = e;
      }
    }
    assertThat(limited).isNotNull();
    assertThat(limited.code()).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  /** A limiter whose permits the test hands out later, in whatever order it likes. */
  private static final class HeldLimiter implements RateLimiter {
    final List<CompletableFuture<Decision>> permits =
        Collections.synchronizedList(new ArrayList<>());

    @Override
    public Decision tryAcquire(String key) {
      return Decision.ALLOWED;
    }

    @Override
    public CompletableFuture<Decision> acquireAsync(String key) {
      CompletableFuture<Decision> permit = new CompletableFuture<>();
      permits.add(permit);
      return permit;
    }

    @Override
    public RateLimit limit() {
      return RateLimit.DEFAULT;
    }

    @Override
    public void close() {}
  }

  /** Alice, decorated with {@code limiter}, sends "m0", "m1"... to bob without waiting. */
  private List<CompletableFuture<SendReceipt>> aliceSends(
      RateLimiter limiter, Executor continueOn, int count) {
    Session alice =
        ChatDecorator.builder()
            .rateLimiter(limiter, continueOn)
            .build()
            .decorate(core)
            .login("alice", null);
    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sends.add(alice.sendAsync(Recipient.user("bob"), new MessageBody.Text("m" + i), null));
    }
    return sends;
  }

  @Test
  void sendsWaitingForTheirPermitsReachTheServiceInTheOrderTheyWereMade() throws Exception {
    HeldLimiter limiter = new HeldLimiter();
    ExecutorService continueOn = Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<SendReceipt>> sends = aliceSends(limiter, continueOn, 40);
      // Nothing reached the service before its permit.
      assertThat(sends).noneMatch(CompletableFuture::isDone);
      assertThat(store.history("d:1:2", 0, 100)).isEmpty();

      // Permits arrive last first; one in the middle is refused.
      for (int i = 39; i >= 0; i--) {
        limiter
            .permits
            .get(i)
            .complete(
                i == 20
                    ? RateLimiter.Decision.denied(Duration.ofSeconds(2))
                    : RateLimiter.Decision.ALLOWED);
      }

      long previous = 0;
      for (int i = 0; i < 40; i++) {
        if (i == 20) {
          int refused = i;
          assertThatThrownBy(() -> sends.get(refused).get(10, TimeUnit.SECONDS))
              .isInstanceOf(ExecutionException.class)
              .cause()
              .isInstanceOfSatisfying(
                  ChatException.class,
                  e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
                  });
          continue;
        }
        long id = sends.get(i).get(10, TimeUnit.SECONDS).msgId();
        assertThat(id).as("message %d stored after the one before", i).isGreaterThan(previous);
        previous = id;
      }
      assertThat(store.history("d:1:2", 0, 100))
          .extracting(m -> ((MessageBody.Text) m.body()).text())
          .hasSize(39)
          .doesNotContain("m20")
          .startsWith("m0", "m1")
          .endsWith("m39");
    } finally {
      continueOn.shutdownNow();
    }
  }

  @Test
  void callsWhosePermitsAreAllInGoAheadInOneTaskOfTheExecutor() throws Exception {
    HeldLimiter limiter = new HeldLimiter();
    List<Runnable> tasks = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<SendReceipt>> sends = aliceSends(limiter, tasks::add, 20);
    for (CompletableFuture<RateLimiter.Decision> permit : limiter.permits) {
      permit.complete(RateLimiter.Decision.ALLOWED);
    }
    // The first call is handed to the executor; the others wait for the one before them.
    assertThat(tasks).hasSize(1);
    tasks.remove(0).run();
    // That one task ran all twenty, in order, without going back through the executor.
    assertThat(tasks).isEmpty();
    long previous = 0;
    for (CompletableFuture<SendReceipt> send : sends) {
      long id = send.get(10, TimeUnit.SECONDS).msgId();
      assertThat(id).isGreaterThan(previous);
      previous = id;
    }
  }
}
