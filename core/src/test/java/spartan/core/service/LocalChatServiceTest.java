package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.auth.Argon2idHasher;
import spartan.core.auth.PasswordHasher;
import spartan.core.store.MemoryChatStore;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.testing.EventRecorder;

/** Service behaviour that only the in-process service can show. */
class LocalChatServiceTest {

  @Test
  void passwordHashingIsCappedSoLoginsCannotExhaustTheServer() throws Exception {
    CountDownLatch inHash = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    PasswordHasher real = Argon2idHasher.forTests();
    PasswordHasher slow =
        new PasswordHasher() {
          @Override
          public String hash(char[] password) {
            return real.hash(password);
          }

          @Override
          public boolean verify(char[] password, String stored) {
            inHash.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return real.verify(password, stored);
          }
        };
    ExecutorService pool = Executors.newCachedThreadPool();
    try (MemoryChatStore store = new MemoryChatStore();
        LocalChatService core =
            LocalChatService.builder()
                .store(store)
                .deliveryExecutor(pool)
                .authMode(AuthMode.PASSWORD)
                .passwordHasher(slow)
                .maxConcurrentHashes(2)
                .hashWait(java.time.Duration.ofMillis(50))
                .build()) {
      core.createAccount("alice", "password-alice");
      CompletableFuture<?> a = CompletableFuture.runAsync(() -> core.login("alice", "password-alice"), pool);
      CompletableFuture<?> b = CompletableFuture.runAsync(() -> core.login("nobody", "whatever12"), pool);
      assertThat(inHash.await(10, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> core.login("alice", "password-alice"))
          .isInstanceOfSatisfying(
              ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
      release.countDown();
      a.get(10, TimeUnit.SECONDS);
      assertThat(b).failsWithin(java.time.Duration.ofSeconds(10));
      assertThat(core.login("alice", "password-alice").user()).isEqualTo("alice");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStreamWhoseExecutorIsGoneEndsWithUnavailableInsteadOfHanging() {
    try (MemoryChatStore store = new MemoryChatStore();
        LocalChatService core =
            LocalChatService.builder()
                .store(store)
                .deliveryExecutor(
                    r -> {
                      throw new RejectedExecutionException("shut down");
                    })
                .build()) {
      core.createAccount("alice", null);
      EventRecorder events = EventRecorder.unbounded();
      core.login("alice", null).events(0).subscribe(events);
      events.awaitSubscribed();
      assertThat(events.done)
          .failsWithin(java.time.Duration.ofSeconds(5))
          .withThrowableThat()
          .havingRootCause()
          .isInstanceOfSatisfying(
              ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
  }

  private static final InetAddress ATTACKER = address("10.0.0.66");
  private static final InetAddress ELSEWHERE = address("10.0.0.7");

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The audit's lock-out: threads pipelining wrong passwords held every hashing slot, so other
   * users' correct logins failed with UNAVAILABLE. Real Argon2id, two slots, more attackers than
   * slots, victims logging in from several threads while the flood runs.
   */
  @Test
  void aPasswordFloodFromOneAddressDoesNotLockOtherUsersOut() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try (MemoryChatStore store = new MemoryChatStore();
        LocalChatService core =
            LocalChatService.builder()
                .store(store)
                .deliveryExecutor(pool)
                .authMode(AuthMode.PASSWORD)
                .maxConcurrentHashes(2)
                .build()) {
      List<String> victims = List.of("alice", "bob", "carol");
      for (String v : victims) {
        core.createAccount(v, "password-" + v);
      }
      AtomicBoolean victimsDone = new AtomicBoolean();
      ConcurrentLinkedQueue<ErrorCode> attackerSaw = new ConcurrentLinkedQueue<>();
      CountDownLatch attackThrottled = new CountDownLatch(1);
      ChatService fromAttacker = core.forClient(ATTACKER);
      List<CompletableFuture<?>> attackers = new ArrayList<>();
      CountDownLatch attackStarted = new CountDownLatch(4);
      for (int t = 0; t < 4; t++) {
        int thread = t;
        attackers.add(
            CompletableFuture.runAsync(
                () -> {
                  attackStarted.countDown();
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                  for (int i = 0; i < 200_000 && !victimsDone.get()
                      && System.nanoTime() < deadline; i++) {
                    // One victim's name and a stream of made-up ones, all wrong.
                    String name = i % 2 == 0 ? "alice" : "ghost" + thread + "x" + i;
                    try {
                      fromAttacker.login(name, "wrong-password-" + i);
                    } catch (ChatException e) {
                      attackerSaw.add(e.code());
                      if (e.code() == ErrorCode.RATE_LIMITED) {
                        attackThrottled.countDown();
                        Thread.yield(); // a refusal is cheap; let the victims' hashes run
                      }
                    }
                  }
                },
                pool));
      }
      assertThat(attackStarted.await(10, TimeUnit.SECONDS)).isTrue();
      try {
        // While the flood starts, and again once it is being refused: every login succeeds.
        loginConcurrently(core, pool);
        assertThat(attackThrottled.await(60, TimeUnit.SECONDS)).isTrue();
        loginConcurrently(core, pool);
        loginConcurrently(core, pool);
      } finally {
        victimsDone.set(true);
        CompletableFuture.allOf(attackers.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);
      }
      assertThat(attackerSaw).contains(ErrorCode.RATE_LIMITED);
      assertThat(attackerSaw).doesNotContain(ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Bob and carol log in twice each, at once, each from an address of their own. */
  private static void loginConcurrently(LocalChatService core, ExecutorService pool)
      throws Exception {
    List<CompletableFuture<String>> logins = new ArrayList<>();
    int host = 10;
    for (String v : List.of("bob", "carol")) {
      for (int i = 0; i < 2; i++) {
        ChatService from = core.forClient(address("10.0.1." + host++));
        logins.add(
            CompletableFuture.supplyAsync(() -> from.login(v, "password-" + v).user(), pool));
      }
    }
    for (CompletableFuture<String> login : logins) {
      assertThat(login.get(60, TimeUnit.SECONDS)).isIn("bob", "carol");
    }
  }

  /** The audit made 1,000 accounts in 0.68 s from one connection. */
  @Test
  void signUpsFromOneAddressAreLimitedAndOtherAddressesAreNot() {
    try (MemoryChatStore store = new MemoryChatStore();
        LocalChatService core =
            LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build()) {
      ChatService flood = core.forClient(ATTACKER);
      ChatException refused = null;
      int created = 0;
      for (int i = 0; i < 1000 && refused == null; i++) {
        try {
          flood.createAccount("bot" + i, null);
          created++;
        } catch (ChatException e) {
          refused = e;
        }
      }
      assertThat(created).isBetween(1, 100);
      assertThat(refused).isNotNull();
      assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
      assertThat(refused.retryAfterMillis()).isPositive();
      core.forClient(ELSEWHERE).createAccount("human", null);
      assertThat(store.findAccount("human")).isPresent();
    }
  }

  @Test
  void decoratedAndForwardingServicesKeepTheClientAddress() {
    try (MemoryChatStore store = new MemoryChatStore();
        LocalChatService core =
            LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build()) {
      ChatService decorated = spartan.core.decorate.ChatDecorator.builder().build().decorate(core);
      ChatService view = decorated.forClient(ATTACKER);
      assertThat(view).isNotSameAs(decorated);
      int created = 0;
      while (created < 1000) {
        try {
          view.createAccount("bot" + created, null);
          created++;
        } catch (ChatException e) {
          assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
          break;
        }
      }
      assertThat(created).isLessThan(1000);
      ChatService forwarded = new ForwardingChatService(decorated).forClient(ATTACKER);
      assertThatThrownBy(() -> forwarded.createAccount("one-more", null))
          .isInstanceOfSatisfying(
              ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED));
      decorated.forClient(ELSEWHERE).createAccount("human", null);
      assertThat(decorated.login("human", null).user()).isEqualTo("human");
    }
  }

  /** The audit restarted a password-mode data directory with --auth open and logged in as anyone. */
  @Test
  void openModeIsRefusedOverAStoreWithPasswordAccounts(@TempDir Path dir) throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      try (SqliteChatStore store = SqliteChatStore.open(dir, writer);
          LocalChatService password =
              LocalChatService.builder()
                  .store(store)
                  .deliveryExecutor(Runnable::run)
                  .authMode(AuthMode.PASSWORD)
                  .passwordHasher(Argon2idHasher.forTests())
                  .build()) {
        password.createAccount("alice", "password-alice");
      }
      try (SqliteChatStore store = SqliteChatStore.open(dir, writer)) {
        assertThatThrownBy(
                () ->
                    LocalChatService.builder()
                        .store(store)
                        .deliveryExecutor(Runnable::run)
                        .authMode(AuthMode.OPEN)
                        .build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("auth: open")
            .hasMessageContaining("1 account with a password")
            .hasMessageContaining("auth: password");
        // Password mode still serves it.
        try (LocalChatService again =
            LocalChatService.builder()
                .store(store)
                .deliveryExecutor(Runnable::run)
                .authMode(AuthMode.PASSWORD)
                .passwordHasher(Argon2idHasher.forTests())
                .build()) {
          assertThat(again.login("alice", "password-alice").user()).isEqualTo("alice");
        }
      }
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void openModeAccountsMayMoveToPasswordMode() {
    try (MemoryChatStore store = new MemoryChatStore()) {
      LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build()
          .createAccount("alice", null);
      LocalChatService.builder()
          .store(store)
          .deliveryExecutor(Runnable::run)
          .authMode(AuthMode.PASSWORD)
          .passwordHasher(Argon2idHasher.forTests())
          .build()
          .createAccount("bob", "password-bob");
      assertThatThrownBy(
              () -> LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build())
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
