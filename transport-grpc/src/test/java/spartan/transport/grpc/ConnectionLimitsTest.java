package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.service.ForwardingChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.ConnectionGate;
import spartan.core.spi.TransportOptions;

/**
 * The server's connection gate holds at the gRPC listener: connections past the per-address or
 * total cap are closed at accept time, before a byte of HTTP/2, counted in the gate and reported
 * in the log at most once per interval, while clients from other addresses keep chatting; an
 * admitted connection gives its place back when it closes. Sign-ups and logins reach the core
 * through {@link ChatService#forClient} with the caller's address.
 */
class ConnectionLimitsTest {
  private static final String ATTACKER = "127.0.0.2";

  private final List<Socket> sockets = new ArrayList<>();
  private final List<InetAddress> forClientCalls = new CopyOnWriteArrayList<>();
  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private GrpcClient honest;
  private ConnectionGate gate;
  private ListAppender<ILoggingEvent> logged;
  private Logger gateLog;

  @BeforeEach
  void setUp() {
    fixture.createAccounts("alice", "bob");
    gateLog = (Logger) LoggerFactory.getLogger(AcceptGate.class);
    logged = new ListAppender<>();
    logged.start();
    gateLog.addAppender(logged);
  }

  private void start(ConnectionGate g) throws IOException {
    gate = g;
    ChatService recording =
        new ForwardingChatService(core) {
          @Override
          public ChatService forClient(InetAddress address) {
            forClientCalls.add(address);
            return core.forClient(address);
          }
        };
    TransportOptions options = fixture.loopback().withConnections(g);
    server = fixture.start(recording, options);
    honest = fixture.connect(options.withPort(server.port()));
  }

  @AfterEach
  void tearDown() throws Exception {
    gateLog.detachAppender(logged);
    for (Socket s : sockets) {
      s.close();
    }
  }

  @Test
  void connectionsOverTheAddressCapAreClosedAtAcceptWhileOtherAddressesChat() throws Exception {
    start(new ConnectionGate(100, 2));
    Socket first = connectFrom(ATTACKER);
    connectFrom(ATTACKER);
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == 2);

    Socket refused = connectFrom(ATTACKER);
    assertClosedByServer(refused);
    assertThat(gate.refusedAddressFull()).isEqualTo(1);
    assertThat(gate.open()).isEqualTo(2);

    // Meanwhile a client on another address logs in, sends and receives.
    chatHonestly("during the flood");

    List<ILoggingEvent> warnings =
        logged.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0).getFormattedMessage())
        .contains("1 over the per-address cap", "maxConnectionsPerAddress = 2", ATTACKER);

    // A closed connection gives its place back: the address may connect again.
    int before = gate.open();
    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == before - 1);
    connectFrom(ATTACKER);
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == before);
    assertThat(gate.refusedAddressFull()).isEqualTo(1);
    chatHonestly("after the flood");
  }

  @Test
  void aFullServerRefusesNewConnectionsUntilOneCloses() throws Exception {
    start(new ConnectionGate(2, 2));
    Socket a = connectFrom(ATTACKER);
    connectFrom(ATTACKER);
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == 2);

    assertThatThrownBy(() -> honest.login("alice", null))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThat(gate.refusedServerFull()).isPositive();

    a.close();
    // The channel reconnects on its own schedule (backoff); once it is admitted it works.
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptionsInstanceOf(ChatException.class)
        .until(() -> honest.login("alice", null) != null);
    assertThat(gate.open()).isEqualTo(2);
  }

  @Test
  void refusalsAreLoggedAtMostOncePerIntervalWithTheirCounts() throws Exception {
    gate = new ConnectionGate(100, 1);
    AtomicLong now = new AtomicLong();
    AcceptGate.RefusalLog log = new AcceptGate.RefusalLog(gate, now::get);
    InetAddress attacker = InetAddress.getByName(ATTACKER);
    log.refused(attacker, ConnectionGate.Verdict.ADDRESS_FULL); // logged at once
    for (int i = 0; i < 500; i++) {
      log.refused(attacker, ConnectionGate.Verdict.ADDRESS_FULL);
    }
    log.refused(attacker, ConnectionGate.Verdict.SERVER_FULL);
    assertThat(logged.list).hasSize(1);

    now.addAndGet(AcceptGate.RefusalLog.INTERVAL_NANOS);
    log.refused(attacker, ConnectionGate.Verdict.ADDRESS_FULL);
    assertThat(logged.list).hasSize(2);
    assertThat(logged.list.get(1).getFormattedMessage())
        .startsWith("gRPC refused 502 connection(s) since the last report: 1 with the server full")
        .contains("501 over the per-address cap");
  }

  @Test
  void signUpsAndLoginsAreCountedAgainstTheCallersAddress() throws Exception {
    start(ConnectionGate.unlimited());
    honest.createAccount("carol", null);
    honest.login("carol", null);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    assertThat(forClientCalls).containsExactly(loopback, loopback);
  }

  private void chatHonestly(String text) {
    ServerFixture.roundTrip(honest, "alice", "bob", text);
  }

  private Socket connectFrom(String source) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.bind(new InetSocketAddress(source, 0));
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
    return s;
  }

  /** The server closes the socket without sending anything (end of stream, or a reset). */
  private static void assertClosedByServer(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    try {
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } catch (SocketException reset) {
      assertThat(reset.getMessage()).containsIgnoringCase("reset");
    }
  }
}
