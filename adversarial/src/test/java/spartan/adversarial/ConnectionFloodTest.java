package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (d): one address opens far more connections than limits.maxConnectionsPerAddress, to
 * both transports. The excess must be refused (closed) at once, the cap holding across both
 * transports, and users from other addresses must still get in.
 */
class ConnectionFloodTest {
  private static final int PER_ADDRESS = 8;
  private static final int PER_TRANSPORT = 24;

  @Test
  void connectionsBeyondThePerAddressCapAreRefused(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "connection-flood", Map.of(
            "limits.maxConnectionsPerAddress", PER_ADDRESS,
            "limits.maxConnections", 64));
        Honest honest = new Honest(server, "alice", "bob", null)) {
      honest.roundTrip();
      List<SocketChannel> attackers = new ArrayList<>();
      Attack.Tally during = new Attack.Tally();
      int closed;
      ChildServer.Memory under;
      try {
        for (int i = 0; i < PER_TRANSPORT; i++) {
          attackers.add(Attack.channel(server.socketPort(), LineClient.ATTACKER_ADDRESS, 4096));
          attackers.add(Attack.channel(server.grpcPort(), LineClient.ATTACKER_ADDRESS, 4096));
        }
        int excess = attackers.size() - PER_ADDRESS;
        // Refusal is a close right after accept: wait for the excess to be closed, bounded.
        closed = Attack.awaitClosedByServer(attackers, excess, Duration.ofSeconds(5));
        for (int i = 0; i < 2; i++) {
          during.run(honest);
        }
        under = server.memory();
      } finally {
        Attack.closeAll(attackers);
      }
      Attack.Tally after = new Attack.Tally();
      after.run(honest);

      int held = attackers.size() - closed;
      Attack.figures("connection flood", "opened", attackers.size(), "cap", PER_ADDRESS,
          "heldOpen", held, "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "honestDuring", during, "honestAfter", after, "alive", server.alive());
      assertThat(held).as("connections one address holds open (cap %d)", PER_ADDRESS)
          .isLessThanOrEqualTo(PER_ADDRESS);
      Attack.assertWithinBounds(under);
      assertThat(during.ok).as("honest round trips during the flood: %s", during).isEqualTo(2);
      assertThat(after.ok).as("honest round trip after the flood: %s", after).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }
}
