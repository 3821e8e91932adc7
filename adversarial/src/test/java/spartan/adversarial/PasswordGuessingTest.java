package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * Attack (e): in password mode, connections pipeline wrong passwords — four connections from
 * four addresses against one account, and one address against many accounts — while honest
 * users log in, several at the same moment. Password hashing is the server's scarcest resource;
 * guessing must be throttled so that it never crowds out the users who know their password.
 */
class PasswordGuessingTest {
  private static final String PASSWORD = "correct horse battery";
  private static final int VICTIMS = 6;
  private static final int HONEST_USERS = 4;
  private static final int HONEST_ROUNDS = 5;
  /** Guesses per attacking connection at most; each pipelines a window and reads the answers. */
  private static final int MAX_GUESSES = 200;
  private static final int WINDOW = 8;

  @Test
  void guessingIsThrottledAndHonestLoginsAllSucceed(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "password-guessing", Map.of(
            "auth", "password", "demoUsers", "[]"));
        Honest honest = new Honest(server, "h0", "h1", PASSWORD)) {
      // Each account signs up from its own address, so no sign-up limit per address is hit.
      List<String> names = new ArrayList<>();
      for (int i = 0; i < HONEST_USERS; i++) {
        names.add("h" + i);
      }
      names.add("victim");
      for (int i = 0; i < VICTIMS; i++) {
        names.add("v" + i);
      }
      for (int i = 0; i < names.size(); i++) {
        signUp(server, names.get(i), "127.0.1." + (i + 1));
      }
      honest.roundTrip();

      Map<String, Integer> attackerAnswers = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService attackers = Executors.newFixedThreadPool(5);
      List<CompletableFuture<Void>> attacks = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String from = "127.0.0." + (2 + i);
        attacks.add(CompletableFuture.runAsync(
            () -> guess(server, from, List.of("victim"), stop, attackerAnswers), attackers));
      }
      List<String> many = names.subList(HONEST_USERS + 1, names.size());
      attacks.add(CompletableFuture.runAsync(
          () -> guess(server, "127.0.0.6", many, stop, attackerAnswers), attackers));

      int honestLogins = 0;
      int honestOk = 0;
      List<String> honestFailures = new ArrayList<>();
      Attack.Tally during = new Attack.Tally();
      ManagedChannel channel = Grpc.newChannelBuilderForAddress(
          "127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create()).build();
      ExecutorService loginPool = Executors.newFixedThreadPool(HONEST_USERS);
      long started = System.nanoTime();
      try {
        for (int round = 0; round < HONEST_ROUNDS; round++) {
          // The honest users log in at the same moment, as a crowd does after a restart.
          List<CompletableFuture<String>> logins = new ArrayList<>();
          for (int u = 0; u < HONEST_USERS; u++) {
            String user = "h" + u;
            logins.add(CompletableFuture.supplyAsync(() -> grpcLogin(channel, user), loginPool));
          }
          for (CompletableFuture<String> l : logins) {
            honestLogins++;
            String failure = l.get(30, TimeUnit.SECONDS);
            if (failure == null) {
              honestOk++;
            } else {
              honestFailures.add(failure);
            }
          }
        }
        during.run(honest);
      } finally {
        stop.set(true);
        CompletableFuture.allOf(attacks.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);
        attackers.shutdownNow();
        loginPool.shutdownNow();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      // Measured once the guessing stops. A guess the attacker gave up waiting for may still be
      // hashing for a moment, holding its 19 MiB work area; what must not remain is anything the
      // guessing left behind, so the heap must come back under the bound within a few seconds.
      AtomicReference<ChildServer.Memory> settled = new AtomicReference<>();
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        ChildServer.Memory m = server.memory();
        settled.set(m);
        return m.heapMiB() <= Attack.HEAP_BOUND_MIB && m.directMiB() <= Attack.DIRECT_BOUND_MIB;
      });
      ChildServer.Memory under = settled.get();
      Attack.Tally after = new Attack.Tally();
      after.run(honest);

      Attack.figures("password guessing", "honestLogins", honestOk + "/" + honestLogins,
          "firstHonestFailure", honestFailures.isEmpty() ? "-" : honestFailures.get(0),
          "attackerAnswers", new TreeMap<>(attackerAnswers),
          "attackSeconds", String.format("%.1f", seconds),
          "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "honestRoundTrip", during, "honestAfter", after, "alive", server.alive());
      assertThat(honestOk).as("honest logins during the guessing; first failures: %s",
              honestFailures.subList(0, Math.min(3, honestFailures.size())))
          .isEqualTo(honestLogins);
      assertThat(during.ok).as("honest round trip during the guessing: %s", during).isEqualTo(1);
      assertThat(attackerAnswers.keySet()).as("what the guesser was told")
          .isSubsetOf("rate_limited", "unauthenticated", "closed")
          .contains("rate_limited");
      Attack.assertWithinBounds(under);
      assertThat(after.ok).as("honest round trip after the guessing: %s", after).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }

  private static void signUp(ChildServer server, String user, String from) throws IOException {
    try (LineClient c = LineClient.connect(server.socketPort(), from, 0)) {
      c.send(LineClient.line("id", 1, "op", "create_account", "user", user, "password", PASSWORD));
      Attack.expectOk(c.reply(1, Duration.ofSeconds(30)), "sign-up of " + user);
    }
  }

  /** Null on success, else what went wrong. */
  private static String grpcLogin(ManagedChannel channel, String user) {
    try {
      SpartanGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
          .login(ChatProto.LoginRequest.newBuilder().setUser(user).setPassword(PASSWORD).build());
      return null;
    } catch (StatusRuntimeException e) {
      return user + ": " + e.getStatus();
    }
  }

  /** Pipelines wrong-password logins in windows until told to stop or out of guesses. */
  private static void guess(ChildServer server, String from, List<String> targets,
      AtomicBoolean stop, Map<String, Integer> answers) {
    try (LineClient c = LineClient.connect(server.socketPort(), from, 0)) {
      int id = 0;
      while (!stop.get() && id < MAX_GUESSES) {
        int first = id + 1;
        for (int i = 0; i < WINDOW; i++) {
          id++;
          c.send(LineClient.line("id", id, "op", "login", "user",
              targets.get(id % targets.size()), "password", "wrong guess " + id));
        }
        for (int i = first; i <= id; i++) {
          JsonNode r = c.reply(i, Duration.ofSeconds(30));
          String code = r.path("ok").asBoolean() ? "ok" : r.path("error").path("code").asText();
          answers.merge(code, 1, Integer::sum);
        }
      }
    } catch (IOException e) {
      answers.merge("closed", 1, Integer::sum);
    }
  }
}
