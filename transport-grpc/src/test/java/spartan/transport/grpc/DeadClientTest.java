package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatEvent;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.testing.EventRecorder;

/**
 * A client whose connection dies without a goodbye: the server ends its stream (and the core
 * subscription) within the keepalive time plus timeout, or at once on a reset; whatever was sent
 * meanwhile waits in the inbox and arrives, in order, at the next subscription.
 */
class DeadClientTest {
  /**
   * The transport's keepalive setting: the ping timeout. grpc-java raises the ping interval to at
   * least 10 s, so a silent peer is found dead 10 s plus this after its last byte.
   */
  private static final Duration KEEPALIVE = Duration.ofMillis(300);

  private static final Duration PING_INTERVAL = Duration.ofSeconds(10);

  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private LoopbackProxy proxy;
  private GrpcClient viaProxy;
  private GrpcClient direct;

  @BeforeEach
  void start() throws Exception {
    TransportOptions options = fixture.loopback().withKeepAlive(KEEPALIVE);
    server = fixture.start(core, options);
    proxy = fixture.closeAfter(new LoopbackProxy(server.port()));
    viaProxy = fixture.connect(options.withPort(proxy.port()));
    direct = fixture.connect(options.withPort(server.port()));
    fixture.createAccounts("alice", "bob");
  }

  @Test
  void aSilentlyDeadClientsStreamEndsWithinKeepaliveAndItsMessagesWait() {
    Session alice = core.login("alice", null);
    Session bob = viaProxy.login("bob", null);
    EventRecorder live = EventRecorder.unbounded();
    bob.events(0).subscribe(live);
    live.awaitSubscribed();
    alice.send(Recipient.user("bob"), "before");
    long lastSeen = live.nextMessage().seq();
    assertThat(online(alice, "bob")).isTrue();

    proxy.blackhole();
    Instant cut = Instant.now();
    alice.send(Recipient.user("bob"), "during 1");
    alice.send(Recipient.user("bob"), "during 2");

    DeliveryStats stats = server.endpoint().stats();
    Duration limit = PING_INTERVAL.plus(KEEPALIVE).plusSeconds(2);
    await().atMost(limit).until(() -> stats.openStreams() == 0);
    Duration detected = Duration.between(cut, Instant.now());
    System.out.printf(
        "dead client: stream ended %d ms after the connection went silent"
            + " (ping interval %d ms, ping timeout %d ms)%n",
        detected.toMillis(), PING_INTERVAL.toMillis(), KEEPALIVE.toMillis());
    assertThat(detected).isLessThanOrEqualTo(limit);
    assertThat(online(alice, "bob")).isFalse();

    alice.send(Recipient.user("bob"), "after");
    // Bob comes back on a working connection and resumes after the last message he saw.
    EventRecorder again = EventRecorder.unbounded();
    direct.resume(bob.token()).events(lastSeen).subscribe(again);
    List<ChatEvent.MessageReceived> got = again.awaitSubscribed().nextMessages(3);
    assertThat(got).extracting(m -> m.message().text()).containsExactly("during 1", "during 2", "after");
    assertThat(got).extracting(ChatEvent.MessageReceived::seq).containsExactly(2L, 3L, 4L);
  }

  @Test
  void aResetConnectionEndsTheStreamAtOnceAndANewLoginGetsTheUnacked() {
    Session alice = core.login("alice", null);
    Session bob = viaProxy.login("bob", null);
    EventRecorder live = EventRecorder.unbounded();
    bob.events(0).subscribe(live);
    live.awaitSubscribed();
    alice.send(Recipient.user("bob"), "seen, not acked");
    live.nextMessage();

    proxy.reset();
    DeliveryStats stats = server.endpoint().stats();
    await().atMost(Duration.ofSeconds(5)).until(() -> stats.openStreams() == 0);
    alice.send(Recipient.user("bob"), "while away");

    EventRecorder fresh = EventRecorder.unbounded();
    direct.login("bob", null).events(0).subscribe(fresh);
    assertThat(fresh.awaitSubscribed().nextMessages(2))
        .extracting(m -> m.message().text())
        .containsExactly("seen, not acked", "while away");
  }

  private static boolean online(Session asker, String user) {
    return asker.listAccounts(user, null, 1).items().get(0).online();
  }
}
