package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (g): a logged-in socket connection with an event stream goes silent — never writes,
 * never closes, as a peer behind a dead NAT entry does. It must be dropped within about twice
 * limits.keepAliveSeconds, and its user must stop counting as online.
 */
class DeadConnectionTest {
  private static final int KEEP_ALIVE_S = 2;
  /** Twice the setting, plus scheduling slack on a loaded 2-core machine. */
  private static final Duration DROP_BOUND = Duration.ofSeconds(2 * KEEP_ALIVE_S + 2);
  private static final Duration OBSERVE = Duration.ofSeconds(4 * KEEP_ALIVE_S + 2);

  @Test
  void silentConnectionIsDroppedWithinTwiceTheKeepAlive(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "dead-connection",
            Map.of("limits.keepAliveSeconds", KEEP_ALIVE_S));
        Honest honest = new Honest(server, "alice", "bob", null);
        LineClient ghost =
            LineClient.connect(server.socketPort(), LineClient.ATTACKER_ADDRESS, 0)) {
      ghost.send(LineClient.line("id", 1, "op", "login", "user", "eve"));
      Attack.expectOk(ghost.reply(1, Honest.STEP), "ghost login");
      long silentSince = System.nanoTime();
      assertThat(eveOnline(server)).as("eve online while connected").isTrue();

      // The ghost reads whatever comes (a ping it never answers) until the server hangs up.
      long droppedAfterMs = -1;
      long deadline = silentSince + OBSERVE.toNanos();
      for (int i = 0; i < 10_000 && System.nanoTime() < deadline; i++) {
        try {
          long left = Math.max(1_000_000, deadline - System.nanoTime());
          JsonNode n = ghost.read(Duration.ofNanos(left));
          if (n == null) {
            droppedAfterMs = (System.nanoTime() - silentSince) / 1_000_000;
            break;
          }
        } catch (SocketTimeoutException e) {
          break;
        } catch (IOException reset) {
          droppedAfterMs = (System.nanoTime() - silentSince) / 1_000_000;
          break;
        }
      }
      Attack.Tally during = new Attack.Tally();
      during.run(honest);
      ChildServer.Memory under = server.memory();
      boolean offline;
      try {
        await().atMost(Duration.ofSeconds(3)).until(() -> !eveOnline(server));
        offline = true;
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        offline = false;
      }

      Attack.figures("dead connection", "keepAliveSeconds", KEEP_ALIVE_S,
          "droppedAfterMs",
          droppedAfterMs < 0 ? "not within " + OBSERVE.toMillis() : droppedAfterMs,
          "offlineAfterDrop", offline, "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "honest", during, "alive", server.alive());
      assertThat(droppedAfterMs).as("time to drop the silent connection (ms); -1: not dropped")
          .isBetween(0L, DROP_BOUND.toMillis());
      assertThat(offline).as("eve no longer online").isTrue();
      Attack.assertWithinBounds(under);
      assertThat(during.ok).as("honest round trip: %s", during).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }

  /**
   * Whether list_accounts shows eve online, as another user sees it. A fresh connection each
   * time: one left silent for seconds would itself be dropped as dead.
   */
  private static boolean eveOnline(ChildServer server) throws IOException {
    try (LineClient watcher = LineClient.connect(server.socketPort())) {
      watcher.send(LineClient.line("id", 1, "op", "login", "user", "charlie", "subscribe", false));
      Attack.expectOk(watcher.reply(1, Honest.STEP), "watcher login");
      watcher.send(LineClient.line("id", 2, "op", "list_accounts", "pattern", "eve"));
      JsonNode reply = watcher.reply(2, Honest.STEP);
      Attack.expectOk(reply, "list_accounts");
      watcher.send(LineClient.line("id", 3, "op", "logout"));
      watcher.reply(3, Honest.STEP);
      return reply.path("accounts").path(0).path("online").asBoolean();
    }
  }
}
