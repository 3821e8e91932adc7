package spartan.core.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.store.ChatStore;

/**
 * A server killed with {@code kill -9} while it is appending as fast as it can loses nothing it
 * acknowledged. The appender is a real child JVM ({@link AppendUntilKilled}) on a real SQLite
 * file; the test reads acknowledged ids from its stdout, kills it with SIGKILL, reopens the
 * store and looks for every one of them.
 */
class SqliteKillRecoveryTest {
  private static final int ACKS_BEFORE_KILL = 2000;

  @TempDir Path tmp;

  @Test
  @Timeout(120)
  void nothingAcknowledgedIsLostWhenTheProcessIsKilled() throws Exception {
    Path data = tmp.resolve("data");
    Path stderr = tmp.resolve("child.err");
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                AppendUntilKilled.class.getName(),
                data.toString())
            .redirectError(stderr.toFile())
            .start();
    List<Long> acked = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
      String line;
      while (acked.size() < ACKS_BEFORE_KILL && (line = out.readLine()) != null) {
        record(line, acked, stderr);
      }
      assertThat(acked).as("acks before the child ended; stderr: %s", read(stderr))
          .hasSize(ACKS_BEFORE_KILL);

      // SIGKILL: no shutdown hooks, no close(), no final commit. Through the ProcessHandle, because
      // Process.destroyForcibly() also closes our end of the pipe, and the lines still in it are
      // acknowledgements too.
      assertThat(child.toHandle().destroyForcibly()).isTrue();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      // Whatever it printed before it died was acknowledged too.
      while ((line = out.readLine()) != null) {
        record(line, acked, stderr);
      }
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as("killed, not exited").isNotZero();

    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (SqliteChatStore store = SqliteChatStore.open(data, writer)) {
      assertThat(store.listAccounts("*", null, 10)).containsExactly("alice", "bob", "carol");
      assertThat(store.findGroup("team").orElseThrow().members())
          .containsExactly("alice", "bob", "carol");

      List<Delivery> bob = all(store, "bob");
      Set<Long> inBob = new HashSet<>();
      bob.forEach(d -> inBob.add(d.message().id()));
      assertThat(inBob).containsAll(acked);
      assertThat(bob.stream().map(Delivery::seq).toList())
          .as("bob's inbox has no gaps")
          .containsExactlyElementsOf(LongStream.rangeClosed(1, bob.size()).boxed().toList());
      assertThat(store.lastSeq("bob")).isEqualTo(bob.size());

      Set<Long> history = new HashSet<>();
      store.history("d:alice:bob", 0, Integer.MAX_VALUE).forEach(m -> history.add(m.id()));
      store.history("g:team", 0, Integer.MAX_VALUE).forEach(m -> history.add(m.id()));
      assertThat(history).containsAll(acked);
      Set<Long> groupInCarol = new HashSet<>();
      all(store, "carol").forEach(d -> groupInCarol.add(d.message().id()));
      assertThat(groupInCarol)
          .containsExactlyInAnyOrderElementsOf(
              store.history("g:team", 0, Integer.MAX_VALUE).stream().map(Message::id).toList());
    } finally {
      writer.shutdownNow();
    }
  }

  private static void record(String line, List<Long> acked, Path stderr) throws IOException {
    if (line.startsWith("ack ")) {
      acked.add(Long.parseLong(line.substring(4)));
    } else if (line.startsWith("failed ")) {
      throw new AssertionError("the child's append failed: " + line + "\n" + read(stderr));
    }
    // anything else ("ready", a log line) is not an acknowledgement
  }

  private static List<Delivery> all(ChatStore store, String user) {
    List<Delivery> out = new ArrayList<>();
    long after = 0;
    for (List<Delivery> page; !(page = store.inbox(user, after, 1000)).isEmpty(); ) {
      out.addAll(page);
      after = page.get(page.size() - 1).seq();
    }
    return out;
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
