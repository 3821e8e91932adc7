package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Draft;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.RedisProcess;

/** {@code spartan admin migrate}: its arguments, and a store moved from a data directory. */
class AdminMainTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return AdminMain.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void badArgumentsAreNamed() {
    assertThat(run()).isEqualTo(2);
    assertThat(run("export")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'export'");
    assertThat(run("migrate", "--from", dir.toString())).isEqualTo(2);
    assertThat(err()).contains("migrate needs --from DIR and --to URL");
    assertThat(run("migrate", "--from", dir.toString(), "--to", "localhost")).isEqualTo(1);
    assertThat(err()).contains("no embedded store in");
    assertThat(run("migrate", "--bogus")).isEqualTo(2);
    assertThat(err()).contains("unknown argument '--bogus'");
    assertThat(run("--help")).isZero();
  }

  @Test
  void aDataDirectoryMovesIntoRedisAndTheCountsAreShown() {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (RedisProcess redis = RedisProcess.startOnFreePort()) {
      try (SqliteChatStore old = SqliteChatStore.open(dir, writer)) {
        old.createAccount("alice", null, T0);
        old.createAccount("bob", null, T0);
        old.append(new Draft("alice", Recipient.user("bob"), MessageBody.text("waiting"), T0,
            null, "d:alice:bob", List.of("bob"))).join();
      }
      assertThat(run("migrate", "--from", dir.toString(), "--to", redis.url())).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("Moved 2 accounts, 0 groups, 0 invitations, 1 messages of history and 1"
              + " undelivered messages.");
      try (RedisChatStore now = RedisChatStore.builder().url(redis.url()).build()) {
        assertThat(now.inbox("bob", 0, 10)).extracting(d -> d.message().text())
            .containsExactly("waiting");
      }
      assertThat(run("migrate", "--from", dir.toString(), "--to", redis.url())).isEqualTo(1);
      assertThat(err()).contains("already holds a Spartan store");
    } finally {
      writer.shutdownNow();
    }
  }
}
