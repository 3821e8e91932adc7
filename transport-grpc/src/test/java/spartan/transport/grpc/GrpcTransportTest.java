package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.AuthMode;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.EventRecorder;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/** The provider as the server and client modules use it, over real Netty on loopback. */
class GrpcTransportTest {
  private final AtomicInteger threadIds = new AtomicInteger();
  private ExecutorService blocking;
  private MemoryChatStore store;
  private LocalChatService core;
  private TransportProvider grpc;
  private TransportOptions options;
  private TransportServer server;
  private ChatService client;

  @BeforeEach
  void start() throws Exception {
    blocking =
        Executors.newCachedThreadPool(
            r -> new Thread(r, "spartan-blocking-" + threadIds.incrementAndGet()));
    store = new MemoryChatStore();
    core = LocalChatService.builder().store(store).deliveryExecutor(blocking).build();
    grpc = TransportProvider.named("grpc");
    options = TransportOptions.of("127.0.0.1", 0, blocking);
    server = grpc.serve(core, options);
    client = grpc.connect(options.withPort(server.port()));
    core.createAccount("alice", null);
    core.createAccount("bob", null);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    core.close();
    store.close();
    blocking.shutdownNow();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void theProviderIsFoundByNameWithItsDefaultPort() {
    assertThat(grpc).isInstanceOf(GrpcTransportProvider.class);
    assertThat(grpc.name()).isEqualTo("grpc");
    assertThat(grpc.defaultPort()).isEqualTo(3000);
    assertThat(server.port()).isPositive();
    assertThat(client.authMode()).isEqualTo(AuthMode.OPEN);
  }

  @Test
  void callsIntoTheCoreRunOnTheBlockingExecutorNeverOnEventLoops() throws Exception {
    AtomicReference<String> thread = new AtomicReference<>();
    ChatService probe =
        new ChatService() {
          @Override
          public AuthMode authMode() {
            thread.set(Thread.currentThread().getName());
            return AuthMode.OPEN;
          }

          @Override
          public void createAccount(String user, String password) {}

          @Override
          public Session login(String user, String password) {
            throw ChatException.notFound("nobody");
          }

          @Override
          public Session resume(String token) {
            throw ChatException.unauthenticated("nobody");
          }

          @Override
          public void close() {}
        };
    try (TransportServer other = grpc.serve(probe, options);
        ChatService c = grpc.connect(options.withPort(other.port()))) {
      c.authMode();
    }
    assertThat(thread.get()).startsWith("spartan-blocking-");
  }

  @Test
  void aFrameOverTheLimitIsRejectedAndTheConnectionKeepsServing() {
    Session alice = client.login("alice", null);
    byte[] huge = new byte[TransportOptions.DEFAULT_MAX_FRAME_BYTES + 1];
    assertThatThrownBy(() -> alice.send(Recipient.user("bob"), MessageBody.sealed(huge), null))
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains("exceeds maximum");
            });
    assertThat(alice.send(Recipient.user("bob"), "still here").duplicate()).isFalse();
  }

  @Test
  void callsWithoutAValidBearerTokenAreUnauthenticated() throws Exception {
    ManagedChannel raw =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      SpartanGrpc.SpartanBlockingStub stub = SpartanGrpc.newBlockingStub(raw);
      ChatProto.WhoamiRequest who = ChatProto.WhoamiRequest.getDefaultInstance();
      assertThatThrownBy(() -> stub.whoami(who))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

      Metadata wrong = new Metadata();
      wrong.put(BearerAuth.AUTHORIZATION, "Basic YWxpY2U6cGFzc3dvcmQ=");
      assertThatThrownBy(
              () -> stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(wrong)).whoami(who))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

      String token = client.login("alice", null).token();
      Metadata right = new Metadata();
      right.put(BearerAuth.AUTHORIZATION, "Bearer " + token);
      assertThat(
              stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(right))
                  .whoami(who)
                  .getUser())
          .isEqualTo("alice");
    } finally {
      raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTokenThatCannotBeAHeaderIsUnauthenticatedWithoutACall() {
    assertThatThrownBy(() -> client.resume("bad\ntoken"))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    assertThatThrownBy(() -> client.resume(null))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
  }

  @Test
  void aNonPositiveRequestFailsTheStreamLikeTheCoreDoes() {
    EventRecorder events = EventRecorder.manual();
    client.login("bob", null).events(0).subscribe(events);
    events.awaitSubscribed();
    events.request(0);
    assertThatThrownBy(() -> events.done.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void closingTheServerEndsOpenStreamsWithUnavailableWithoutWaitingOutTheGrace() {
    EventRecorder events = EventRecorder.unbounded();
    client.login("bob", null).events(0).subscribe(events);
    events.awaitSubscribed();

    Instant before = Instant.now();
    server.close();
    assertThat(Duration.between(before, Instant.now())).isLessThan(GrpcServer.GRACE);
    assertThatThrownBy(() -> events.done.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    server.close(); // idempotent
  }

  @Test
  void subscribersAndReceiptsRunOffTheEventLoopWhereTheyMayBlock() throws Exception {
    Session bob = client.login("bob", null);
    Session alice = client.login("alice", null);
    EventRecorder aliceEvents = EventRecorder.unbounded();
    alice.events(0).subscribe(aliceEvents);
    aliceEvents.awaitSubscribed();
    CompletableFuture<Void> bobSubscribed = new CompletableFuture<>();
    CompletableFuture<String> answeredOn = new CompletableFuture<>();
    bob.events(0)
        .subscribe(
            new Flow.Subscriber<ChatEvent>() {
              @Override
              public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
                bobSubscribed.complete(null);
              }

              @Override
              public void onNext(ChatEvent e) {
                // Blocking calls from a subscriber: a send waits for its receipt, which must
                // not queue behind this very signal.
                try {
                  bob.send(Recipient.user("alice"), "pong");
                  answeredOn.complete(Thread.currentThread().getName());
                } catch (RuntimeException x) {
                  answeredOn.completeExceptionally(x);
                }
              }

              @Override
              public void onError(Throwable t) {
                answeredOn.completeExceptionally(t);
              }

              @Override
              public void onComplete() {}
            });
    bobSubscribed.get(10, TimeUnit.SECONDS);
    String caller = Thread.currentThread().getName();
    String receiptOn =
        alice
            .sendAsync(Recipient.user("bob"), MessageBody.text("ping"), null)
            .thenApply(r -> Thread.currentThread().getName())
            .get(10, TimeUnit.SECONDS);
    assertThat(receiptOn).satisfiesAnyOf(
        t -> assertThat(t).startsWith("spartan-blocking-"), t -> assertThat(t).isEqualTo(caller));
    assertThat(answeredOn.get(10, TimeUnit.SECONDS)).startsWith("spartan-blocking-");
    assertThat(aliceEvents.nextMessage().message().text()).isEqualTo("pong");
  }
}
