package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The baseline relay over real loopback sockets, through the generator's own client. */
class RelayServerTest {
  private RelayServer relay;
  private RelayTarget target;

  @BeforeEach
  void start() {
    relay = RelayServer.start("127.0.0.1", 0);
    target = new RelayTarget("127.0.0.1", relay.port(), relay);
  }

  @AfterEach
  void stop() {
    target.close();
  }

  private static LinkedBlockingQueue<String> inbox() {
    return new LinkedBlockingQueue<>();
  }

  private static Target.MessageHandler into(LinkedBlockingQueue<String> q) {
    return (from, text, now) -> q.add(from + ">" + text);
  }

  @Test
  void forwardsALineToItsRecipientWithTheSendersName() throws Exception {
    LinkedBlockingQueue<String> bob = inbox();
    Target.Peer a = target.login("alice", (f, t, n) -> {});
    target.login("bob", into(bob));

    a.send("bob", "hello there").get(5, TimeUnit.SECONDS);

    assertThat(bob.poll(5, TimeUnit.SECONDS)).isEqualTo("alice>hello there");
  }

  @Test
  void groupLinesReachEveryOtherMemberOnly() throws Exception {
    LinkedBlockingQueue<String> alice = inbox();
    LinkedBlockingQueue<String> bob = inbox();
    LinkedBlockingQueue<String> carol = inbox();
    Target.Peer a = target.login("alice", into(alice));
    target.login("bob", into(bob));
    target.login("carol", into(carol));
    a.createGroup("g", List.of("bob", "carol"));

    a.send("#g", "hi all").get(5, TimeUnit.SECONDS);
    RelayTarget.sync(a);

    assertThat(bob.poll(5, TimeUnit.SECONDS)).isEqualTo("alice>hi all");
    assertThat(carol.poll(5, TimeUnit.SECONDS)).isEqualTo("alice>hi all");
    // The sender's own connection gets nothing back: a later direct line arrives first.
    target.login("dave", (f, t, n) -> {}).send("alice", "sentinel").get(5, TimeUnit.SECONDS);
    assertThat(alice.poll(5, TimeUnit.SECONDS)).isEqualTo("dave>sentinel");
  }

  @Test
  void queuesForAnOfflineUserAndDeliversInOrderAtLogin() throws Exception {
    Target.Peer a = target.login("alice", (f, t, n) -> {});
    for (int i = 0; i < 100; i++) {
      a.send("bob", "m" + i);
    }
    RelayTarget.sync(a);
    LinkedBlockingQueue<String> bob = inbox();
    target.login("bob", into(bob));
    for (int i = 0; i < 100; i++) {
      assertThat(bob.poll(5, TimeUnit.SECONDS)).isEqualTo("alice>m" + i);
    }
  }

  @Test
  void answersServerFiguresForARemoteGenerator() {
    RelayTarget remote = new RelayTarget("127.0.0.1", relay.port(), null);
    try {
      ServerStats s = remote.stats(false);
      assertThat(s).isNotNull();
      assertThat(s.heapUsedBytes()).isPositive();
      assertThat(remote.statsIncludeGenerator()).isFalse();
    } finally {
      // Closes its client side only; the relay belongs to the other target.
      remote.close();
    }
  }
}
