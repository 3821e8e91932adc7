package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * Server-streaming replies read from the store in steps, in-process: a history read in steps is
 * exactly the window one read would give, whatever arrives meanwhile; an undelivered fetch is
 * trimmed to the session's byte budget, oldest first; a session may hold only a few replies open
 * at once, and the others' calls go on.
 */
class StreamedRepliesTest {
  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private ManagedChannel channel;
  private GrpcClient client;
  private final List<ClientCall<?, ?>> calls = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = fixture.inProcess(name);
    channel = fixture.shutDownAfter(InProcessChannelBuilder.forName(name).build());
    client = fixture.closeAfter(new GrpcClient(InProcessChannelBuilder.forName(name).build()));
    fixture.createAccounts("alice", "bob", "carol");
  }

  @Test
  void historyReadInStepsIsExactlyTheWindowOfOneRead() {
    Session alice = core.login("alice", null);
    Session bob = core.login("bob", null);
    for (int i = 0; i < 300; i++) {
      (i % 3 == 0 ? bob : alice).send(
          Recipient.user(i % 3 == 0 ? "alice" : "bob"), MessageBody.text("m" + i), null);
    }
    Session remote = client.resume(alice.token());
    long mid = alice.history(Recipient.user("bob"), 0, 150).get(0).id();
    long early = alice.history(Recipient.user("bob"), 0, 296).get(0).id();
    for (long before : new long[] {0, mid, early}) {
      for (int limit : new int[] {1, 16, 17, 33, 150, 300, 500}) {
        assertThat(ids(remote.history(Recipient.user("bob"), before, limit)))
            .as("before %d, limit %d", before, limit)
            .isEqualTo(ids(alice.history(Recipient.user("bob"), before, limit)));
      }
    }
  }

  @Test
  void messagesStoredWhileAHistoryIsReadDoNotEnterIt() {
    Session alice = core.login("alice", null);
    for (int i = 0; i < 100; i++) {
      alice.send(Recipient.user("bob"), "old " + i);
    }
    List<Long> window = ids(alice.history(Recipient.user("bob"), 0, 100));
    HistoryPages pages = new HistoryPages(alice, Recipient.user("bob"), 0, 100);
    List<Long> read = new ArrayList<>();
    List<ChatProto.Message> step = pages.read(16, Long.MAX_VALUE);
    for (int i = 0; i < 10; i++) {
      alice.send(Recipient.user("bob"), "new " + i);
    }
    while (!step.isEmpty()) {
      assertThat(step.size()).isLessThanOrEqualTo(16);
      step.forEach(m -> read.add(m.getId()));
      step = pages.read(16, Long.MAX_VALUE);
    }
    assertThat(read).isEqualTo(window);
  }

  @Test
  void anUndeliveredFetchIsTrimmedToTheSessionBudgetOldestFirst() {
    Session alice = core.login("alice", null);
    Random random = new Random(3);
    for (int i = 0; i < 60; i++) {
      byte[] envelope = new byte[40_000];
      random.nextBytes(envelope);
      alice.send(Recipient.user("bob"), MessageBody.sealed(envelope), null);
    }
    Session bob = client.login("bob", null);
    List<Delivery> first = bob.fetchUndelivered(1000);
    long bytes = first.stream().mapToLong(d -> ProtoMapping.delivery(d).getSerializedSize()).sum();
    assertThat(first).isNotEmpty().hasSizeLessThan(60);
    assertThat(bytes).isLessThanOrEqualTo(ReplyBudget.SESSION_BYTES);
    assertThat(first.stream().map(Delivery::seq).toList())
        .isEqualTo(core.resume(bob.token()).fetchUndelivered(first.size()).stream()
            .map(Delivery::seq)
            .toList());
    assertThat(first.get(0).seq()).isEqualTo(1);

    // Acked, the rest follow in the next calls.
    int seen = first.size();
    bob.ack(first.get(first.size() - 1).seq());
    for (int i = 0; i < 10 && seen < 60; i++) {
      List<Delivery> more = bob.fetchUndelivered(1000);
      assertThat(more.get(0).seq()).isEqualTo(seen + 1);
      seen += more.size();
      bob.ack(more.get(more.size() - 1).seq());
    }
    assertThat(seen).isEqualTo(60);
  }

  @Test
  void anUndeliveredFetchOfSmallMessagesReadsAtMostItsPerCallCount() {
    Session alice = core.login("alice", null);
    for (int i = 0; i < 200; i++) {
      alice.send(Recipient.user("bob"), "hi " + i);
    }
    Session bob = client.login("bob", null);
    assertThat(bob.fetchUndelivered(1000)).hasSize(SpartanEndpoint.UNDELIVERED_PER_CALL);
    assertThat(bob.fetchUndelivered(10)).hasSize(10);
    for (int bad : new int[] {0, -1, 1001}) {
      assertThat(code(() -> bob.fetchUndelivered(bad))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    assertThat(code(() -> bob.history(Recipient.user("alice"), 0, 501)))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(() -> bob.history(Recipient.user("alice"), -1, 50)))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(() -> bob.history(Recipient.user("nobody"), 0, 50)))
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void aSessionHoldsAFewRepliesOpenAndTheRestAreRefusedWhileOthersGoOn() {
    Session alice = core.login("alice", null);
    for (int i = 0; i < 200; i++) {
      alice.send(Recipient.user("bob"), "x".repeat(1000));
    }
    Session bob = core.login("bob", null);
    List<CompletableFuture<Status>> closed = new ArrayList<>();
    for (int i = 0; i < ReplyBudget.MAX_PER_SESSION + 3; i++) {
      closed.add(unreadHistory(bob.token(), "alice", 200));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> closed.stream().filter(CompletableFuture::isDone).count() == 3);
    for (CompletableFuture<Status> c : closed) {
      if (c.isDone()) {
        assertThat(c.join().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      }
    }

    // Another session of the same user, and other users, list as usual.
    Session laptop = client.login("bob", null);
    assertThat(laptop.history(Recipient.user("alice"), 0, 200)).hasSize(200);
    assertThat(client.login("alice", null).listAccounts("*", null, 10).items()).hasSize(3);

    calls.forEach(c -> c.cancel("done", null));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.endpoint().replies().sessions() == 0);
    assertThat(server.endpoint().replies().pinnedBytes()).isZero();
    assertThat(client.resume(bob.token()).history(Recipient.user("alice"), 0, 5)).hasSize(5);
  }

  /** A History call whose reply is never read; completes with its status if it ends. */
  private CompletableFuture<Status> unreadHistory(String token, String with, int limit) {
    StatusListener<ChatProto.Message> listener = new StatusListener<>();
    ClientCall<ChatProto.HistoryRequest, ChatProto.Message> call =
        channel.newCall(
            SpartanGrpc.getHistoryMethod(),
            CallOptions.DEFAULT.withCallCredentials(BearerAuth.credentials(token)));
    calls.add(fixture.cancelAfter(call));
    call.start(listener, new Metadata());
    call.sendMessage(
        ChatProto.HistoryRequest.newBuilder()
            .setWith(ChatProto.Recipient.newBuilder().setUser(with))
            .setLimit(limit)
            .build());
    call.halfClose();
    return listener.closed;
  }

  private static List<Long> ids(List<Message> ms) {
    return ms.stream().map(Message::id).toList();
  }

  private static ErrorCode code(Runnable call) {
    try {
      call.run();
    } catch (ChatException e) {
      return e.code();
    }
    throw new AssertionError("expected a ChatException");
  }
}
