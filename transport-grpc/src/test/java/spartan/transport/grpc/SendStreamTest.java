package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.service.ForwardingChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.testing.EventRecorder;

/**
 * Pipelined sends over the SendStream RPC, on real Netty: many sends of one session in flight at
 * once keep their order, a failed send fails only its own future with the code, message and
 * retry delay of the core's failure, and the stream is bounded and closed with the session.
 */
class SendStreamTest {
  private static final Duration RETRY_AFTER = Duration.ofMillis(1500);
  /** A text the server-side wrapper answers with a rate-limit failure instead of sending. */
  private static final String RATE_LIMITED = "rate-limit-me";
  /** A text prefix whose sends the server-side wrapper holds until {@link #release}. */
  private static final String HELD = "held-";

  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private GrpcClient client;
  private final AtomicInteger heldSends = new AtomicInteger();
  private final CompletableFuture<Void> release = new CompletableFuture<>();

  @BeforeEach
  void start() throws Exception {
    TransportOptions options = fixture.loopback();
    server = fixture.start(new Intercepting(core), options);
    client = fixture.connect(options.withPort(server.port()));
    fixture.createAccounts("alice", "bob");
  }

  @AfterEach
  void releaseHeldSends() {
    release.complete(null);
  }

  @Test
  void aThousandSendsFiredWithoutWaitingArriveInOrder() {
    Session alice = client.login("alice", null);
    EventRecorder bob = EventRecorder.unbounded();
    client.login("bob", null).events(0).subscribe(bob);
    bob.awaitSubscribed();

    int n = 1000;
    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("m" + i), null));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();

    List<ChatEvent.MessageReceived> got = bob.nextMessages(n);
    for (int i = 0; i < n; i++) {
      assertThat(got.get(i).message().text()).isEqualTo("m" + i);
      assertThat(got.get(i).message().id()).isEqualTo(sends.get(i).join().msgId());
    }
    assertThat(server.endpoint().openSendStreams()).isEqualTo(1);
  }

  @Test
  void aFailedSendInTheMiddleFailsOnlyItsOwnFuture() {
    Session alice = client.login("alice", null);
    List<CompletableFuture<SendReceipt>> before = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      before.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("b" + i), null));
    }
    CompletableFuture<SendReceipt> lost =
        alice.sendAsync(Recipient.user("nobody"), MessageBody.text("to no one"), null);
    List<CompletableFuture<SendReceipt>> after = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      after.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text("a" + i), null));
    }

    assertThat(failure(lost).code()).isEqualTo(ErrorCode.NOT_FOUND);
    for (CompletableFuture<SendReceipt> f : before) {
      assertThat(f.join().duplicate()).isFalse();
    }
    for (CompletableFuture<SendReceipt> f : after) {
      assertThat(f.join().duplicate()).isFalse();
    }
    assertThat(after.get(0).join().msgId()).isGreaterThan(before.get(49).join().msgId());
    assertThat(server.endpoint().openSendStreams()).isEqualTo(1);
  }

  @Test
  void aRateLimitedSendKeepsItsCodeMessageAndRetryDelay() {
    Session alice = client.login("alice", null);
    ChatException expected = ChatException.rateLimited(RETRY_AFTER);

    CompletableFuture<SendReceipt> limited =
        alice.sendAsync(Recipient.user("bob"), MessageBody.text(RATE_LIMITED), null);
    CompletableFuture<SendReceipt> next =
        alice.sendAsync(Recipient.user("bob"), MessageBody.text("fine"), null);

    ChatException e = failure(limited);
    assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(e.getMessage()).isEqualTo(expected.getMessage());
    assertThat(e.retryAfter()).isEqualTo(RETRY_AFTER);
    assertThat(next.join().duplicate()).isFalse();
  }

  @Test
  void theServerReadsAtMostAWindowOfUnansweredSendsThenCatchesUp() {
    Session alice = client.login("alice", null);
    int n = SendStreamCall.WINDOW + 100;
    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text(HELD + i), null));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> heldSends.get() == SendStreamCall.WINDOW);
    // The window is full: nothing more is read until an answer goes out. A blocking call on the
    // same connection still gets through, so the rest are queued, not lost in a stuck channel.
    assertThat(alice.fetchUndelivered(1)).isEmpty();
    assertThat(heldSends.get()).isEqualTo(SendStreamCall.WINDOW);
    assertThat(sends).noneMatch(CompletableFuture::isDone);

    release.complete(null);
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
    assertThat(heldSends.get()).isEqualTo(n);
  }

  @Test
  void logoutClosesTheStreamAndLaterSendsFailUnauthenticated() {
    Session alice = client.login("alice", null);
    alice.send(Recipient.user("bob"), "before");
    assertThat(server.endpoint().openSendStreams()).isEqualTo(1);

    alice.logout();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.endpoint().openSendStreams() == 0);
    assertThat(
            failure(alice.sendAsync(Recipient.user("bob"), MessageBody.text("after"), null))
                .code())
        .isEqualTo(ErrorCode.UNAUTHENTICATED);
  }

  @Test
  void aLostStreamFailsItsSendsAndTheNextSendOpensANewOne() {
    Session alice = client.login("alice", null);
    CompletableFuture<SendReceipt> held =
        alice.sendAsync(Recipient.user("bob"), MessageBody.text(HELD + "x"), null);
    await().atMost(Duration.ofSeconds(10)).until(() -> heldSends.get() == 1);

    server.endpoint().closeStreams(); // as a shutdown does: answered, then UNAVAILABLE
    release.complete(null);
    assertThat(held.join().duplicate()).isFalse();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.endpoint().openSendStreams() == 0);

    assertThat(alice.send(Recipient.user("bob"), "on a new stream").duplicate()).isFalse();
    assertThat(server.endpoint().openSendStreams()).isEqualTo(1);
  }

  @Test
  void aSendTheServerNeverAnswersEndsItsStreamUnavailableAndTheNextSendGoesThrough() {
    Session alice = client.login("alice", null);
    PipelinedSends sends = sendsAnsweredWithin(alice, Duration.ofMillis(300));
    CompletableFuture<SendReceipt> stuck = sends.send(request("bob", HELD + "forever"));
    CompletableFuture<SendReceipt> behind = sends.send(request("bob", "behind it"));

    ChatException e = failure(stuck);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).isEqualTo("The server did not answer a send in time.");
    // Answers are correlated by seq, not written in order: a slow send holds up no other.
    assertThat(behind.join().duplicate()).isFalse();
    assertThat(sends.send(request("bob", "on a new stream")).join().duplicate()).isFalse();
  }

  @Test
  void aSendStuckBehindAnsweredOnesIsStillCaughtByTheStreamsDeadlineCheck() {
    Session alice = client.login("alice", null);
    PipelinedSends sends = sendsAnsweredWithin(alice, Duration.ofMillis(300));
    for (int i = 0; i < 20; i++) {
      assertThat(sends.send(request("bob", "answered " + i)).join().duplicate()).isFalse();
    }

    CompletableFuture<SendReceipt> stuck = sends.send(request("bob", HELD + "later"));

    ChatException e = failure(stuck);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).isEqualTo("The server did not answer a send in time.");
  }

  /** {@code session}'s own pipelined sends, with a short answer deadline. */
  private PipelinedSends sendsAnsweredWithin(Session session, Duration timeout) {
    return new PipelinedSends(
        () -> client.async().withCallCredentials(BearerAuth.credentials(session.token())),
        timeout,
        client.lane());
  }

  private static spartan.proto.v1.ChatProto.SendMessageRequest request(String to, String text) {
    return spartan.proto.v1.ChatProto.SendMessageRequest.newBuilder()
        .setTo(ProtoMapping.recipient(Recipient.user(to)))
        .setBody(ProtoMapping.body(MessageBody.text(text)))
        .build();
  }

  private static ChatException failure(CompletableFuture<?> f) {
    assertThatThrownBy(f::join).isInstanceOf(CompletionException.class);
    try {
      f.join();
      throw new AssertionError("unreachable");
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(ChatException.class);
      return (ChatException) e.getCause();
    }
  }

  /**
   * The core as the server sees it, with sessions whose sends of a few marked texts misbehave: a
   * rate-limit failure, or a send held until the test releases it.
   */
  private final class Intercepting extends ForwardingChatService {
    Intercepting(LocalChatService core) {
      super(core);
    }

    @Override
    public Session resume(String token) {
      Session real = target.resume(token);
      return (Session)
          Proxy.newProxyInstance(
              Session.class.getClassLoader(),
              new Class<?>[] {Session.class},
              (proxy, method, args) -> {
                if (method.getName().equals("sendAsync")
                    && args[1] instanceof MessageBody.Text t) {
                  if (t.text().equals(RATE_LIMITED)) {
                    throw ChatException.rateLimited(RETRY_AFTER);
                  }
                  if (t.text().startsWith(HELD)) {
                    heldSends.incrementAndGet();
                    Recipient to = (Recipient) args[0];
                    return release.thenCompose(
                        ignored -> real.sendAsync(to, t, (String) args[2]));
                  }
                }
                try {
                  return method.invoke(real, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }
  }
}
