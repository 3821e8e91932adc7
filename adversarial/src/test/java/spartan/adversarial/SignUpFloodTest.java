package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (f): one address creates accounts as fast as the server answers. Sign-up must have a
 * per-address budget, answered {@code rate_limited} with a positive {@code retryAfterMs}, and
 * existing users must go on logging in, sending and receiving.
 */
class SignUpFloodTest {
  private static final int ATTEMPTS = 400;
  private static final int WINDOW = 20;
  /** Accounts one address may create in one burst: a budget, not the thousands per second. */
  private static final int CREATED_BOUND = 50;

  @Test
  void oneAddressCannotCreateAccountsWithoutBound(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "sign-up-flood", Map.of());
        Honest honest = new Honest(server, "alice", "bob", null);
        LineClient attacker =
            LineClient.connect(server.socketPort(), LineClient.ATTACKER_ADDRESS, 0)) {
      honest.roundTrip();
      Map<String, Integer> answers = new TreeMap<>();
      long minRetryAfter = Long.MAX_VALUE;
      long started = System.nanoTime();
      for (int sent = 0; sent < ATTEMPTS; sent += WINDOW) {
        for (int i = 1; i <= WINDOW; i++) {
          attacker.send(LineClient.line("id", sent + i, "op", "create_account",
              "user", "spam" + (sent + i)));
        }
        for (int i = 1; i <= WINDOW; i++) {
          JsonNode r = attacker.reply(sent + i, Duration.ofSeconds(30));
          String code = r.path("ok").asBoolean() ? "ok" : r.path("error").path("code").asText();
          answers.merge(code, 1, Integer::sum);
          if (code.equals("rate_limited")) {
            minRetryAfter = Math.min(minRetryAfter, r.path("error").path("retryAfterMs").asLong());
          }
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      Attack.Tally during = new Attack.Tally();
      during.run(honest);
      ChildServer.Memory under = server.memory();

      int created = answers.getOrDefault("ok", 0);
      Attack.figures("sign-up flood", "attempts", ATTEMPTS, "created", created,
          "seconds", String.format("%.2f", seconds),
          "createdPerSecond", String.format("%.0f", created / seconds), "answers", answers,
          "minRetryAfterMs", minRetryAfter == Long.MAX_VALUE ? "-" : minRetryAfter,
          "heapMiB", under.heapMiB(), "directMiB", under.directMiB(), "honest", during,
          "alive", server.alive());
      assertThat(created).as("accounts one address created in a burst of %d", ATTEMPTS)
          .isLessThanOrEqualTo(CREATED_BOUND);
      assertThat(answers).as("the refusal is rate_limited").containsKey("rate_limited");
      assertThat(minRetryAfter).as("retryAfterMs of a refused sign-up").isPositive();
      assertThat(answers.keySet()).isSubsetOf("ok", "rate_limited");
      Attack.assertWithinBounds(under);
      assertThat(during.ok).as("honest round trip: %s", during).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }
}
