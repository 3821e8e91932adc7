package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.testing.EventRecorder;

/**
 * A subscriber that stops reading stops the server: while 10,000 messages arrive for it, what
 * the server has handed to gRPC for its stream stays under a fixed bound, independent of the
 * message count; the rest waits in the inbox. Once it reads again it gets all of them, in order.
 *
 * <p>The bound, in bytes handed to gRPC and not yet read by the subscriber: the client's HTTP/2
 * receive window ({@link GrpcClient#FLOW_CONTROL_WINDOW}, 1 MiB, held by the client), plus
 * gRPC's per-stream onReady threshold on the server (32 KiB), plus the bridge's request window
 * ({@link GrpcServerEventPump#WINDOW} events, each at most one frame) and the event that found the call
 * not ready. Of that, the server itself holds at most the last two terms.
 */
class FlowControlTest {
  private static final int MESSAGES = 10_000;
  private static final int BODY_CHARS = 1000;
  private static final int ON_READY_THRESHOLD = 32 * 1024;

  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private GrpcClient client;

  @BeforeEach
  void start() throws Exception {
    TransportOptions options = fixture.loopback();
    server = fixture.start(core, options);
    client = fixture.connect(options.withPort(server.port()));
    fixture.createAccounts("alice", "bob");
  }

  private static String body(int i) {
    String head = String.format("%05d:", i);
    return head + "x".repeat(BODY_CHARS - head.length());
  }

  @Test
  void aStalledReaderBoundsWhatTheServerBuffersAndLaterGetsEverythingInOrder() {
    Session alice = core.login("alice", null);
    Session bob = client.login("bob", null);
    EventRecorder reader = EventRecorder.manual();
    bob.events(0).subscribe(reader);
    reader.awaitSubscribed();

    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text(body(i)), null));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();

    int eventBytes = largestEventBytes();
    long bound =
        GrpcClient.FLOW_CONTROL_WINDOW
            + ON_READY_THRESHOLD
            + (long) (GrpcServerEventPump.WINDOW + 1) * eventBytes;
    DeliveryStats stats = server.endpoint().stats();
    // All 10,000 are stored; the stream must have stopped well short of them, and stay stopped.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(20))
        .until(() -> stats.bytesSent() <= bound);
    long stalledEvents = stats.eventsSent();
    long stalledBytes = stats.bytesSent();
    assertThat(stalledEvents).isLessThan(MESSAGES / 5);
    assertThat(reader.drainNow()).isEmpty();
    System.out.printf(
        "flow control: stalled after %d events (%d bytes) of %d; bound %d bytes"
            + " (client window %d + onReady threshold %d + %d events of %d bytes)%n",
        stalledEvents,
        stalledBytes,
        MESSAGES,
        bound,
        GrpcClient.FLOW_CONTROL_WINDOW,
        ON_READY_THRESHOLD,
        GrpcServerEventPump.WINDOW + 1,
        eventBytes);

    Instant resumed = Instant.now();
    reader.request(Long.MAX_VALUE);
    List<ChatEvent.MessageReceived> got = reader.nextMessages(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      assertThat(got.get(i).seq()).isEqualTo(i + 1);
      assertThat(got.get(i).message().text()).isEqualTo(body(i));
    }
    System.out.printf(
        "flow control: resumed reader got %d messages in order in %d ms%n",
        MESSAGES, Duration.between(resumed, Instant.now()).toMillis());
    assertThat(stats.eventsSent()).isEqualTo(MESSAGES);
  }

  /** The serialized size of the largest event this test sends (all bodies are equally long). */
  private static int largestEventBytes() {
    Message m =
        new Message(
            Long.MAX_VALUE,
            "alice",
            Recipient.user("bob"),
            MessageBody.text(body(MESSAGES)),
            Instant.now(),
            null);
    return ProtoMapping.event(new ChatEvent.MessageReceived(new Delivery(Long.MAX_VALUE, m)))
        .getSerializedSize();
  }
}
