package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.ForwardingChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;

/**
 * Several servers: two nodes (two cores on one store, each behind a real transport server on
 * loopback), and a client given both addresses. When its node dies the client logs in on the
 * other, and shows what was sent meanwhile once.
 */
class FailoverTest {
  /** In password mode: a token is one node's, so failing over means logging in again. */
  private final ChatFixture chat = new ChatFixture(AuthMode.PASSWORD, new MemoryChatStore(), null);

  private final List<Socket> silent = new CopyOnWriteArrayList<>();
  private ServerSocket blackHole;

  @AfterEach
  void stop() throws Exception {
    chat.close();
    for (Socket s : silent) {
      s.close();
    }
    if (blackHole != null) {
      blackHole.close();
    }
  }

  private static String at(TransportServer server) {
    return "127.0.0.1:" + server.port();
  }

  /** A dialer to these loopback ports over {@code transport}, counting what it opens. */
  private static Dialer dialer(
      String transport, Dialer.Timing timing, AtomicInteger opened, int... ports) {
    TransportProvider provider = TransportProvider.named(transport);
    List<ServerAddress> addresses = new ArrayList<>();
    for (int p : ports) {
      addresses.add(new ServerAddress("127.0.0.1", p));
    }
    return Dialer.to(
        addresses,
        provider.defaultPort(),
        Dialer::systemResolver,
        e -> {
          opened.incrementAndGet();
          return provider.connect(TransportOptions.of(e.host(), e.port(), null));
        },
        timing);
  }

  private static ChatFixture.Client loggedInChatting(ChatFixture chat, Dialer d) throws Exception {
    var alice = chat.start("alice", d);
    alice.awaitPrompt("[Spartan] Password for alice: ");
    alice.type("alice-password");
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    return alice;
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void aDeadNodesClientLogsInOnTheOtherAndShowsWhatWaitedOnce(String transport)
      throws Exception {
    TransportServer first = chat.serve(transport, 0);
    LocalChatService node2 = chat.anotherNode();
    Gate gate = new Gate(node2);
    TransportServer second = chat.serve(gate, transport, 0);
    // The loss is told only when the reconnect is done, in one line.
    Dialer.Timing timing = Dialer.Timing.DEFAULT.withAnnounceAfter(Duration.ofMinutes(5));
    var alice =
        loggedInChatting(
            chat, dialer(transport, timing, new AtomicInteger(), first.port(), second.port()));
    Session bobOnFirst = chat.login(chat.core, "bob");
    bobOnFirst.send(Recipient.user("alice"), "one");
    alice.awaitLine("[bob] one");

    String firstAt = at(first);
    first.close();
    // Alice is logging in on the second node, held there until what she missed is stored.
    assertThat(gate.arrived.await(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    Session bob = chat.login(node2, "bob");
    bob.send(Recipient.user("alice"), "two");
    bob.send(Recipient.user("alice"), "three");
    gate.open.countDown();

    alice.awaitLine("[Spartan] Lost connection to " + firstAt + "; reconnected to " + at(second) + ".");
    alice.awaitLine("[bob] two");
    alice.awaitLine("[bob] three");
    bob.send(Recipient.user("alice"), "four");
    alice.awaitLine("[bob] four");
    alice.type("got them");
    var inbox = new ArrayList<String>();
    Awaitility.await()
        .atMost(Screen.TIMEOUT)
        .until(
            () -> {
              bob.fetchUndelivered(10).forEach(d -> inbox.add(d.message().text()));
              return inbox.contains("got them");
            });
    for (String m : new String[] {"one", "two", "three", "four"}) {
      assertThat(alice.screen.lines()).filteredOn(l -> l.equals("[bob] " + m)).hasSize(1);
    }
    assertThat(alice.screen.lines()).noneMatch(l -> l.contains("reconnecting"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void whileNoNodeAnswersItSaysSoOnceAndKeepsTrying(String transport) throws Exception {
    TransportServer first = chat.serve(transport, 0);
    LocalChatService node2 = chat.anotherNode();
    TransportServer second = chat.serve(node2, transport, 0);
    AtomicInteger opened = new AtomicInteger();
    Dialer.Timing quick =
        new Dialer.Timing(
            Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMillis(5), Duration.ofMillis(40));
    var alice = loggedInChatting(chat, dialer(transport, quick, opened, first.port(), second.port()));
    int before = opened.get();

    String firstAt = at(first);
    String secondAt = at(second);
    first.close();
    second.close();
    alice.awaitLine("[Spartan] Lost connection to " + firstAt + "; reconnecting…");
    alice.awaitLine(
        "[Spartan] No server answers (tried " + secondAt + ", " + firstAt
            + "); still trying. /quit or Ctrl-D to give up.");
    // Several rounds go by without another word.
    Awaitility.await().atMost(Screen.TIMEOUT).until(() -> opened.get() - before >= 8);
    Session bob = chat.login(node2, "bob");
    bob.send(Recipient.user("alice"), "while nobody answered");
    chat.serve(node2, transport, Integer.parseInt(secondAt.substring(secondAt.indexOf(':') + 1)));

    alice.awaitLine("[Spartan] Reconnected to " + secondAt + ".");
    alice.awaitLine("[bob] while nobody answered");
    assertThat(alice.screen.lines()).filteredOn(l -> l.startsWith("[Spartan] No server")).hasSize(1);
    assertThat(alice.screen.lines()).filteredOn(l -> l.startsWith("[Spartan] Lost")).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void quitWorksWhileReconnecting(String transport) throws Exception {
    TransportServer only = chat.serve(transport, 0);
    var alice = loggedInChatting(chat, dialer(transport, Dialer.Timing.DEFAULT, new AtomicInteger(), only.port()));
    String onlyAt = at(only);
    only.close();
    alice.awaitLine("[Spartan] Lost connection to " + onlyAt + "; reconnecting…");
    alice.type("/quit");
    assertThat(alice.exit.get(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isZero();
    alice.awaitLine("[Spartan] Bye.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void connectingSkipsAnAddressThatIsDownOrSilent(String transport) throws Exception {
    int down;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      down = s.getLocalPort();
    }
    // Accepts connections and never says a word: only the attempt timeout gets past it.
    blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  silent.add(blackHole.accept());
                }
              } catch (IOException closed) {
                // the test is over
              }
            },
            "black-hole");
    acceptor.setDaemon(true);
    acceptor.start();
    TransportServer up = chat.serve(transport, 0);
    Dialer.Timing shortAttempts =
        new Dialer.Timing(
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(10));
    var alice =
        chat.start(
            "alice",
            dialer(transport, shortAttempts, new AtomicInteger(), down, blackHole.getLocalPort(), up.port()));
    alice.awaitLine("[Spartan] Connected to Spartan Server at port " + up.port() + ".");
    alice.awaitPrompt("[Spartan] Password for alice: ");
    alice.type("alice-password");
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void whenNoAddressAnswersAtStartItNamesThemAndExits(String transport) throws Exception {
    int a;
    int b;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      a = s.getLocalPort();
      b = t.getLocalPort();
    }
    var alice = chat.start("alice", dialer(transport, Dialer.Timing.DEFAULT, new AtomicInteger(), a, b));
    assertThat(alice.exit.get(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
    alice.awaitLine(
        "[Spartan] Cannot reach a Spartan server at 127.0.0.1:" + a + ", 127.0.0.1:" + b
            + ". Is one running?");
  }

  /** A node whose logins wait at a gate: the test decides when a client gets in. */
  private static final class Gate extends ForwardingChatService {
    final CountDownLatch arrived;
    final CountDownLatch open;

    Gate(ChatService node) {
      this(node, new CountDownLatch(1), new CountDownLatch(1));
    }

    private Gate(ChatService node, CountDownLatch arrived, CountDownLatch open) {
      super(node);
      this.arrived = arrived;
      this.open = open;
    }

    @Override
    public Session login(String user, String password) {
      arrived.countDown();
      try {
        if (!open.await(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw ChatException.unavailable("The gate stayed shut.");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw ChatException.unavailable("Interrupted at the gate.");
      }
      return super.login(user, password);
    }

    @Override
    public ChatService forClient(InetAddress address) {
      return new Gate(target.forClient(address), arrived, open);
    }
  }
}
