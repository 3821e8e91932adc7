package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * Attack (c): two users keep a live event stream open (one per transport) and never read it,
 * while an honest sender sends them the largest sealed envelopes. What the server queues for a
 * stream must be bounded in bytes, not only in events: the rest waits in the inbox.
 */
class UnreadLiveStreamTest {
  /** Per sink: 400 × 40 KiB = 16 MiB of envelopes the server could queue for one stream. */
  private static final int MESSAGES_PER_SINK = 400;
  /** Heap the two unread streams may add together: far below the 32 MiB an item bound allows. */
  private static final long GROWTH_BOUND_MIB = 16;

  @Test
  void unreadLiveStreamsHoldBoundedBytesAndSendersAreServed(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "unread-live-stream", Map.of());
        Honest honest = new Honest(server, "alice", "bob", null);
        LineClient socketSink =
            LineClient.connect(server.socketPort(), LineClient.ATTACKER_ADDRESS, 4096)) {
      honest.roundTrip();
      ChildServer.Memory before = server.memory();

      socketSink.send(LineClient.line("id", 1, "op", "login", "user", "eve"));
      Attack.expectOk(socketSink.reply(1, Honest.STEP), "sink login");
      ManagedChannel channel = Grpc.newChannelBuilderForAddress(
          "127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create()).build();
      CompletableFuture<ClientCallStreamObserver<?>> grpcSink = new CompletableFuture<>();
      Attack.Tally during = new Attack.Tally();
      ChildServer.Memory under;
      try {
        String token = SpartanGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .login(ChatProto.LoginRequest.newBuilder().setUser("charlie").build()).getToken();
        SpartanGrpc.newStub(channel).withInterceptors(Honest.bearer(token)).receiveMsg(
            ChatProto.ReceiveMsgRequest.getDefaultInstance(),
            new ClientResponseObserver<ChatProto.ReceiveMsgRequest, ChatProto.Event>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<ChatProto.ReceiveMsgRequest> c) {
                c.disableAutoRequestWithInitial(0);
                grpcSink.complete(c);
              }

              @Override
              public void onNext(ChatProto.Event e) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
        // The honest sender's sends must all be stored while both sinks hold back.
        Attack.sendSealed(server, "alice", "eve", MESSAGES_PER_SINK);
        Attack.sendSealed(server, "bob", "charlie", MESSAGES_PER_SINK);
        for (int i = 0; i < 3; i++) {
          during.run(honest);
        }
        under = server.memory();
      } finally {
        grpcSink.getNow(null).cancel("attack over", null);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        socketSink.close();
      }
      Attack.Tally after = new Attack.Tally();
      after.run(honest);
      ChildServer.Memory end = server.memory();

      long growth = (under.heap() - before.heap()) >> 20;
      Attack.figures("unread live streams", "messagesPerSink", MESSAGES_PER_SINK,
          "heapMiB", under.heapMiB(), "heapGrowthMiB", growth, "directMiB", under.directMiB(),
          "endHeapMiB", end.heapMiB(), "honestDuring", during, "honestAfter", after,
          "alive", server.alive());
      assertThat(during.ok).as("honest round trips during the attack: %s", during).isEqualTo(3);
      assertThat(growth).as("heap the unread streams hold: %s", under.line())
          .isLessThanOrEqualTo(GROWTH_BOUND_MIB);
      Attack.assertWithinBounds(under);
      assertThat(after.ok).as("honest round trip after the attack: %s", after).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }
}
