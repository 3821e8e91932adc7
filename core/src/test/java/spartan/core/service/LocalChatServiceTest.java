package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.auth.Argon2idHasher;
import spartan.core.auth.PasswordHasher;
import spartan.core.store.MemoryChatStore;
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
}
