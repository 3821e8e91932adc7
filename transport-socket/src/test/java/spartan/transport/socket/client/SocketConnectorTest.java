package spartan.transport.socket.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.EventRecorder;
import spartan.transport.socket.SocketTransportProvider;
import spartan.transport.socket.wire.WireJson;

/** What the connector adds on top of the conformance suite: lost connections and local bounds. */
class SocketConnectorTest {
  private ExecutorService executor;
  private MemoryChatStore store;
  private LocalChatService core;
  private TransportServer server;
  private ChatService chat;

  @BeforeEach
  void start() throws Exception {
    executor = Executors.newCachedThreadPool();
    store = new MemoryChatStore();
    core = LocalChatService.builder().store(store).deliveryExecutor(executor).build();
    core.createAccount("alice", null);
    core.createAccount("bob", null);
    server =
        new SocketTransportProvider().serve(core, TransportOptions.of("127.0.0.1", 0, executor));
    chat =
        new SocketTransportProvider()
            .connect(TransportOptions.of("127.0.0.1", server.port(), null));
  }

  @AfterEach
  void stop() {
    chat.close();
    server.close();
    core.close();
    store.close();
    executor.shutdownNow();
  }

  private static ErrorCode codeOf(Throwable t) {
    Throwable c = t instanceof ExecutionException ? t.getCause() : t;
    assertThat(c).isInstanceOf(ChatException.class);
    return ((ChatException) c).code();
  }

  @Test
  void aDroppedConnectionFailsTheStreamAndLaterCallsWithUnavailable() throws Exception {
    Session bob = chat.login("bob", null);
    EventRecorder events = EventRecorder.unbounded();
    bob.events(0).subscribe(events);
    events.awaitSubscribed();
    server.close();
    assertThatThrownBy(() -> events.done.get(10, TimeUnit.SECONDS))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThatThrownBy(() -> bob.fetchUndelivered(10))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThatThrownBy(() -> chat.login("bob", null))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void aRequestLongerThanTheServerTakesIsRefusedLocallyAndTheSessionLivesOn() {
    Session alice = chat.login("alice", null);
    byte[] huge = new byte[60 * 1024]; // base64 makes it 80 KiB: over the 64 KiB line limit
    assertThatThrownBy(() -> alice.send(Recipient.user("bob"), MessageBody.sealed(huge), null))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(alice.send(Recipient.user("bob"), "still here").msgId()).isPositive();
  }

  @Test
  void aSubscriberWithoutDemandPausesTheSocketAndThenGetsEverythingInOrder() {
    Session bob = chat.login("bob", null);
    EventRecorder slow = EventRecorder.manual();
    bob.events(0).subscribe(slow);
    slow.awaitSubscribed();
    slow.request(5);
    Session alice = core.login("alice", null);
    int n = 3000;
    String pad = "p".repeat(2000);
    for (int i = 0; i < n; i++) {
      alice.send(Recipient.user("bob"), MessageBody.text(i + " " + pad), null);
    }
    assertThat(slow.nextMessages(5)).extracting(m -> m.seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
    SocketClientHandler conn = ((SocketClientSession) bob).connection();
    await().atMost(Duration.ofSeconds(20)).until(conn::isPaused);
    SocketClientEventStream stream = conn.stream();
    // Buffered: the high-water mark plus what one socket read had already brought in.
    assertThat(stream.buffered())
        .isBetween(SocketClientEventStream.HIGH_WATER, SocketClientEventStream.HIGH_WATER + 64);
    slow.request(Long.MAX_VALUE);
    List<ChatEvent.MessageReceived> rest = slow.nextMessages(n - 5);
    for (int i = 0; i < rest.size(); i++) {
      assertThat(rest.get(i).seq()).isEqualTo(i + 6);
    }
    // Reading resumes on the connection's event loop once the buffer drains, not necessarily
    // before the last event reaches the subscriber.
    await().atMost(Duration.ofSeconds(20)).until(() -> !conn.isPaused());
  }

  @Test
  void aCancelledSubscriberGetsNothingMore() {
    Session bob = chat.login("bob", null);
    Session alice = chat.login("alice", null);
    EventRecorder events = EventRecorder.unbounded();
    bob.events(0).subscribe(events);
    events.awaitSubscribed();
    alice.send(Recipient.user("bob"), "one");
    assertThat(events.nextMessage().message().text()).isEqualTo("one");
    events.cancel();
    alice.send(Recipient.user("bob"), "two");
    // Still unacked: the next subscription gets it, in order.
    EventRecorder again = EventRecorder.unbounded();
    bob.events(1).subscribe(again);
    again.awaitSubscribed();
    assertThat(again.nextMessage().message().text()).isEqualTo("two");
    assertThat(events.drainNow()).isEmpty();
  }

  @Test
  void connectorsShareEventLoopsAndOneClosingLeavesTheOthersWorking() throws Exception {
    ChatService second =
        new SocketTransportProvider()
            .connect(TransportOptions.of("127.0.0.1", server.port(), null));
    Session bob = second.login("bob", null);
    EventRecorder events = EventRecorder.unbounded();
    bob.events(0).subscribe(events);
    events.awaitSubscribed();
    Session alice = chat.login("alice", null);
    chat.close(); // the first connector goes; the shared loops stay for the second
    core.login("alice", null).send(Recipient.user("bob"), "after the other closed");
    assertThat(events.nextMessages(1).get(0).message().text()).isEqualTo("after the other closed");
    assertThat(bob.send(Recipient.user("alice"), "and back").msgId()).isPositive();
    assertThatThrownBy(() -> alice.send(Recipient.user("bob"), "closed"))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAVAILABLE));
    second.close();
  }

  @Test
  void theSharedLoopsStopWithTheirLastUserAndStartAgainForTheNext() {
    chat.close(); // this class's connector: the loops are this test's alone from here
    var first = ClientLoops.acquire();
    var again = ClientLoops.acquire();
    assertThat(again).isSameAs(first);
    ClientLoops.release(first);
    assertThat(first.isShuttingDown()).isFalse();
    ClientLoops.release(again);
    assertThat(first.isTerminated()).isTrue();
    var next = ClientLoops.acquire();
    try {
      assertThat(next).isNotSameAs(first);
      assertThat(next.isShuttingDown()).isFalse();
    } finally {
      ClientLoops.release(next);
    }
  }

  @Test
  void unansweredRequestsAreBoundedAndTheNextFailsFastUnavailable() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      EventLoopGroup loops = ClientLoops.acquire();
      SocketClientHandler c = null;
      try {
        ClientSettings settings =
            ClientSettings.from(TransportOptions.of("127.0.0.1", silent.getLocalPort(), null));
        c =
            SocketClientHandler.open(
                new Bootstrap().group(loops).channel(NioSocketChannel.class), settings);
        List<CompletableFuture<JsonNode>> waiting = new ArrayList<>();
        for (int i = 0; i < SocketClientHandler.MAX_PENDING; i++) {
          waiting.add(c.call("ping", WireJson.object(), null));
        }
        CompletableFuture<JsonNode> over = c.call("ping", WireJson.object(), null);
        assertThatThrownBy(over::join)
            .satisfies(e -> assertThat(codeOf(e.getCause())).isEqualTo(ErrorCode.UNAVAILABLE))
            .hasMessageContaining("Too many requests");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        c.close();
        assertThatThrownBy(() -> waiting.get(0).get(10, TimeUnit.SECONDS))
            .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAVAILABLE));
      } finally {
        if (c != null) {
          c.close();
        }
        ClientLoops.release(loops);
      }
    }
  }
}
