package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.ForwardingChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.testing.ClusterNodes;
import spartan.core.testing.RedisProcess;

/**
 * A node on the redis store, whose Redis restarts empty under a logged-in client: the node ends
 * the session with the data-reset error, and the client logs in again, counts inbox sequences
 * from the start (they restart at 1, below what it had shown) and says so in one line.
 */
class DataResetTest {
  private RedisProcess redis;
  private ChatFixture chat;
  private ClusterNodes nodes;

  @AfterEach
  void stop() throws Exception {
    if (nodes != null) {
      nodes.close();
    }
    if (chat != null) {
      chat.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void afterAnEmptyRestartTheClientLogsInAgainAndShowsTheNewMessages(String transport)
      throws Exception {
    redis = RedisProcess.startOnFreePort(); // no persistence: a restart comes back empty
    chat =
        new ChatFixture(
            AuthMode.OPEN, RedisChatStore.builder().url(redis.url()).build(), null);
    nodes =
        ClusterNodes.start(
            redis.url(),
            1,
            LocalChatService.builder()
                .store(chat.store)
                .deliveryExecutor(chat.executor)
                .authMode(AuthMode.OPEN),
            b -> b.heartbeat(Duration.ofMillis(50)).deadAfter(Duration.ofMillis(500)));
    LocalChatService node = nodes.node(0);
    Gate gate = new Gate(node);
    TransportServer server = chat.serve(gate, transport, 0);
    TransportProvider provider = TransportProvider.named(transport);
    Dialer dialer =
        Dialer.to(
            List.of(new ServerAddress("127.0.0.1", server.port())),
            provider.defaultPort(),
            Dialer::systemResolver,
            e -> provider.connect(TransportOptions.of(e.host(), e.port(), null)),
            Dialer.Timing.DEFAULT);
    var alice = chat.start("alice", dialer);
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    Session bob = node.login("bob", null);
    for (String m : new String[] {"one", "two", "three"}) {
      bob.send(Recipient.user("alice"), m);
      alice.awaitLine("[bob] " + m);
    }

    gate.shut();
    redis.restart();
    // The client's new login waits at the gate until the accounts exist again, as an operator
    // (or a restarted node seeding its demo users) would make them.
    assertThat(gate.arrived.await(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    create(node, "alice");
    create(node, "bob");
    gate.open.countDown();

    alice.awaitLine(
        "[Spartan] The server's data was reset; logged in again on 127.0.0.1:" + server.port()
            + ". Messages not delivered before the reset are lost.");
    Session bobAgain = node.login("bob", null);
    // Sequences 1 and 2 of the new inbox: both at or below the 3 the client had shown before.
    bobAgain.send(Recipient.user("alice"), "after the reset");
    bobAgain.send(Recipient.user("alice"), "and again");
    alice.awaitLine("[bob] after the reset");
    alice.awaitLine("[bob] and again");
    alice.type("got them");
    alice.awaitPrompt("[alice] > ");
    assertThat(bobAgain.fetchUndelivered(10))
        .extracting(d -> d.message().text())
        .containsExactly("got them");
    assertThat(alice.screen.lines()).filteredOn(l -> l.startsWith("[Spartan] The server's data"))
        .hasSize(1);
    assertThat(alice.screen.lines()).noneMatch(l -> l.startsWith("[Spartan] Your session ended"));
  }

  /**
   * Creates the account, retrying while the store's pooled connections, broken by the restart,
   * fail their first command.
   */
  private static void create(LocalChatService node, String user) {
    Awaitility.await()
        .atMost(Screen.TIMEOUT)
        .until(
            () -> {
              try {
                node.createAccount(user, null);
                return true;
              } catch (ChatException e) {
                if (e.code() == ErrorCode.ALREADY_EXISTS) {
                  return true;
                }
                if (e.code() == ErrorCode.UNAVAILABLE) {
                  return false;
                }
                throw e;
              }
            });
  }

  /** Holds logins, once shut, until the test opens it. */
  private static final class Gate extends ForwardingChatService {
    final CountDownLatch arrived;
    final CountDownLatch open;
    private final boolean[] shut;

    Gate(ChatService node) {
      this(node, new CountDownLatch(1), new CountDownLatch(1), new boolean[1]);
    }

    private Gate(ChatService node, CountDownLatch arrived, CountDownLatch open, boolean[] shut) {
      super(node);
      this.arrived = arrived;
      this.open = open;
      this.shut = shut;
    }

    void shut() {
      synchronized (shut) {
        shut[0] = true;
      }
    }

    @Override
    public Session login(String user, String password) {
      boolean wait;
      synchronized (shut) {
        wait = shut[0];
      }
      if (wait) {
        arrived.countDown();
        try {
          if (!open.await(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw ChatException.unavailable("The gate stayed shut.");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw ChatException.unavailable("Interrupted at the gate.");
        }
      }
      return super.login(user, password);
    }

    @Override
    public ChatService forClient(InetAddress address) {
      return new Gate(target.forClient(address), arrived, open, shut);
    }
  }
}
