package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.Limits;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * The audit's attack on streamed replies, over real Netty on loopback: one session opens 20
 * {@code History(limit 500)} calls on a conversation of 500 envelopes of 40,000 bytes and reads
 * none of them. Before, every call loaded its whole reply before looking at flow control: 20
 * calls held about 400 MB of heap. Now a session may have {@link ReplyBudget#MAX_PER_SESSION}
 * replies open, the rest are refused with {@code RESOURCE_EXHAUSTED} and a retry delay, and the
 * open ones hold one store read each (a few items) plus gRPC's per-call buffer. Meanwhile and
 * afterwards another user logs in, sends and receives.
 */
class UnreadListingsTest {
  private static final int ENVELOPE = 40_000;
  private static final int MESSAGES = Limits.MAX_HISTORY;
  private static final int CALLS = 20;
  /** Retained heap the attack may add; before the fix it added about 400 MB. */
  private static final long HEAP_BOUND = 48L << 20;

  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private GrpcClient honest;
  private ManagedChannel attackerChannel;
  private final List<ClientCall<?, ?>> calls = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    TransportOptions options = fixture.loopback();
    server = fixture.start(core, options);
    honest = fixture.connect(options.withPort(server.port()));
    attackerChannel =
        fixture.shutDownAfter(
            NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .usePlaintext()
                .maxInboundMessageSize(options.maxFrameBytes())
                .build());
    fixture.createAccounts("mallory", "trent", "carol", "dave");
    // The conversation the attacker asks for, 500 envelopes of 40,000 bytes (20 MB in the store).
    Session trent = core.login("trent", null);
    Random random = new Random(17);
    List<CompletableFuture<?>> sends = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      byte[] envelope = new byte[ENVELOPE];
      random.nextBytes(envelope);
      sends.add(trent.sendAsync(Recipient.user("mallory"), MessageBody.sealed(envelope), null));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
  }

  @Test
  void unreadHistoryCallsAreCappedPerSessionAndHoldLittleHeapWhileOthersChat() {
    Session mallory = core.login("mallory", null);
    long baseline = retainedHeap();

    List<Unread> unread = new ArrayList<>();
    for (int i = 0; i < CALLS; i++) {
      unread.add(unreadHistory(attackerChannel, mallory.token()));
    }
    // Every call has been answered: headers of a reply under way, or a final status.
    awaitAnswered(unread);
    List<CompletableFuture<Status>> outcomes = unread.stream().map(Unread::outcome).toList();
    List<CompletableFuture<Metadata>> trailers = unread.stream().map(Unread::trailers).toList();

    long held = retainedHeap() - baseline;
    List<Status> refused =
        outcomes.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
    System.out.printf(
        "unread listings: %d History(%d) calls of %d-byte envelopes, %d refused, %d open;"
            + " retained heap +%.1f MB; bytes read and unsent %d%n",
        CALLS,
        MESSAGES,
        ENVELOPE,
        refused.size(),
        CALLS - refused.size(),
        held / 1e6,
        server.endpoint().replies().pinnedBytes());

    assertThat(refused).hasSize(CALLS - ReplyBudget.MAX_PER_SESSION);
    for (Status s : refused) {
      assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).contains("Too many listings open on this session");
    }
    for (CompletableFuture<Metadata> t : trailers) {
      if (t.isDone()) {
        assertThat(t.join().get(StatusMapping.RETRY_AFTER_MS)).isEqualTo("1000");
      }
    }
    // One read of at most the budget's worth of items per open call, plus one item each.
    assertThat(server.endpoint().replies().pinnedBytes())
        .isLessThanOrEqualTo(ReplyBudget.SESSION_BYTES + ReplyBudget.MAX_PER_SESSION * 41_000L);
    assertThat(held).isLessThan(HEAP_BOUND);

    // The same session may not open another; another session still lists and chats.
    ChatException more =
        catchThrowableOfType(
            ChatException.class,
            () -> honest.resume(mallory.token()).history(Recipient.user("trent"), 0, 1));
    assertThat(more.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(more.retryAfter()).isEqualTo(ReplyBudget.RETRY_AFTER);
    chatHonestly("during the attack");
    assertThat(honest.login("mallory", null).history(Recipient.user("trent"), 0, 3)).hasSize(3);

    // The attacker goes away: everything it held is given back.
    calls.forEach(c -> c.cancel("attacker gone", null));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                server.endpoint().replies().pinnedBytes() == 0
                    && server.endpoint().replies().sessions() == 0);
    assertThat(honest.resume(mallory.token()).history(Recipient.user("trent"), 0, MESSAGES))
        .hasSize(MESSAGES);
    chatHonestly("after the attack");
  }

  /**
   * Many sessions from one address do not multiply what it may hold: 9 sessions of one user on
   * two connections from 127.0.0.2 open 4 unread listings each; past {@link
   * ReplyBudget#MAX_PER_ADDRESS} the address is refused, while a client on 127.0.0.1 still lists.
   */
  @Test
  void listingsFromOneAddressAreCappedOverAllItsSessionsWhileOtherAddressesList() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      channels.add(
          NettyChannelBuilder.forAddress("127.0.0.1", server.port())
              .usePlaintext()
              .localSocketPicker(
                  new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public java.net.SocketAddress createSocketAddress(
                        java.net.SocketAddress remote, io.grpc.Attributes attrs) {
                      return new java.net.InetSocketAddress("127.0.0.2", 0);
                    }
                  })
              .build());
    }
    try {
      int sessions = 9;
      List<Unread> unread = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        String token = core.login("mallory", null).token();
        for (int k = 0; k < ReplyBudget.MAX_PER_SESSION; k++) {
          unread.add(unreadHistory(channels.get(s % 2), token));
        }
      }
      awaitAnswered(unread);
      List<Status> refused =
          unread.stream()
              .map(Unread::outcome)
              .filter(CompletableFuture::isDone)
              .map(CompletableFuture::join)
              .toList();
      assertThat(refused).hasSize(sessions * ReplyBudget.MAX_PER_SESSION - ReplyBudget.MAX_PER_ADDRESS);
      for (Status st : refused) {
        assertThat(st.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(st.getDescription()).contains("Too many listings open from your address");
      }
      assertThat(server.endpoint().replies().addresses()).isEqualTo(1);

      // Another address lists and chats as usual.
      assertThat(honest.login("mallory", null).history(Recipient.user("trent"), 0, 20)).hasSize(20);
      chatHonestly("from another address");

      calls.forEach(c -> c.cancel("attacker gone", null));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  server.endpoint().replies().addresses() == 0
                      && server.endpoint().replies().pinnedBytes() == 0);
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** An unread History call: its final status and trailers if it ends, and its first answer. */
  private record Unread(
      CompletableFuture<Status> outcome,
      CompletableFuture<Metadata> trailers,
      CompletableFuture<Boolean> answered) {}

  /** Opens a {@code History(limit 500)} call with {@code trent} and never reads its reply. */
  private Unread unreadHistory(ManagedChannel channel, String token) {
    Unread u =
        new Unread(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
    ClientCall<ChatProto.HistoryRequest, ChatProto.Message> call =
        channel.newCall(
            SpartanGrpc.getHistoryMethod(),
            CallOptions.DEFAULT.withCallCredentials(BearerAuth.credentials(token)));
    calls.add(fixture.cancelAfter(call));
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onHeaders(Metadata headers) {
            u.answered().complete(true); // the server has written its first item
          }

          @Override
          public void onClose(Status status, Metadata t) {
            u.answered().complete(false);
            u.trailers().complete(t);
            u.outcome().complete(status);
          }
        },
        new Metadata());
    // Never call.request(n): the attacker reads nothing.
    call.sendMessage(
        ChatProto.HistoryRequest.newBuilder()
            .setWith(ChatProto.Recipient.newBuilder().setUser("trent"))
            .setLimit(MESSAGES)
            .build());
    call.halfClose();
    return u;
  }

  private static void awaitAnswered(List<Unread> unread) {
    CompletableFuture.allOf(unread.stream().map(Unread::answered).toArray(CompletableFuture[]::new))
        .orTimeout(30, TimeUnit.SECONDS)
        .join();
  }

  private void chatHonestly(String text) {
    ServerFixture.roundTrip(honest, "carol", "dave", text);
  }

  /** Heap in use after full collections: what is retained, not what is garbage. */
  private static long retainedHeap() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
