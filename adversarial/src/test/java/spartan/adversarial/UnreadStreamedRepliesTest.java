package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * Attack (b): a conversation is filled with the largest sealed envelopes, then logged-in
 * connections ask for its whole history and their undelivered messages and never read the
 * answers. Built whole before flow control, each answer pins the page's bytes on the server.
 */
class UnreadStreamedRepliesTest {
  /** 300 × 40 KiB: each full answer is ~12 MiB of envelopes (16 MiB as base64 on the socket). */
  private static final int MESSAGES = 300;
  private static final int CONNECTIONS = 6;
  private static final String OWNER = "eve";
  private static final String PEER = "charlie";

  @Test
  void unreadGrpcHistoryAndFetchStayBoundedAndOthersAreServed(@TempDir Path dir)
      throws Exception {
    try (ChildServer server = ChildServer.start(dir, "unread-grpc-history", Map.of());
        Honest honest = new Honest(server, "alice", "bob", null)) {
      honest.roundTrip();
      ChildServer.Memory before = server.memory();
      Attack.sendSealed(server, PEER, OWNER, MESSAGES);

      List<ManagedChannel> channels = new ArrayList<>();
      List<ClientCallStreamObserver<?>> calls = new ArrayList<>();
      List<CompletableFuture<Status>> ends = new ArrayList<>();
      Attack.Tally during = new Attack.Tally();
      ChildServer.Memory under;
      try {
        for (int i = 0; i < CONNECTIONS; i++) {
          ManagedChannel ch = Grpc.newChannelBuilderForAddress(
              "127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create()).build();
          channels.add(ch);
          String token = SpartanGrpc.newBlockingStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .login(ChatProto.LoginRequest.newBuilder().setUser(OWNER).build()).getToken();
          SpartanGrpc.SpartanStub stub =
              SpartanGrpc.newStub(ch).withInterceptors(Honest.bearer(token));
          for (int k = 0; k < 2; k++) {
            stub.history(ChatProto.HistoryRequest.newBuilder()
                    .setWith(ChatProto.Recipient.newBuilder().setUser(PEER)).setLimit(500).build(),
                neverRead(calls, ends));
          }
          stub.fetchUndelivered(
              ChatProto.FetchUndeliveredRequest.newBuilder().setLimit(1000).build(),
              neverRead(calls, ends));
        }
        for (int i = 0; i < 3; i++) {
          during.run(honest);
        }
        under = server.memory();
      } finally {
        for (ClientCallStreamObserver<?> c : calls) {
          c.cancel("attack over", null);
        }
        for (ManagedChannel ch : channels) {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
      Map<String, Integer> statuses = new TreeMap<>();
      for (CompletableFuture<Status> end : ends) {
        Status s = end.getNow(null);
        statuses.merge(s == null ? "pending" : s.getCode().name(), 1, Integer::sum);
      }
      Attack.Tally after = new Attack.Tally();
      after.run(honest);
      ChildServer.Memory end = server.memory();

      Attack.figures("unread gRPC History/FetchUndelivered", "calls", calls.size(),
          "messages", MESSAGES, "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "baselineHeapMiB", before.heapMiB(), "endHeapMiB", end.heapMiB(),
          "attackerStatuses", statuses, "honestDuring", during, "honestAfter", after,
          "alive", server.alive());
      assertThat(during.ok).as("honest round trips during the attack: %s", during).isEqualTo(3);
      Attack.assertWithinBounds(under);
      // A call refused by a cap says so; none may fail as if the server broke.
      assertThat(statuses.keySet()).as("how the attacker's calls ended")
          .isSubsetOf("pending", "OK", "CANCELLED", "RESOURCE_EXHAUSTED");
      assertThat(after.ok).as("honest round trip after the attack: %s", after).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }

  /** Asks for no message at all: only HTTP/2's window is ever read on the attacker's side. */
  private static <T> ClientResponseObserver<T, Object> neverReadRaw(
      List<ClientCallStreamObserver<?>> calls, List<CompletableFuture<Status>> ends) {
    CompletableFuture<Status> end = new CompletableFuture<>();
    ends.add(end);
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<T> call) {
        call.disableAutoRequestWithInitial(0);
        calls.add(call);
      }

      @Override
      public void onNext(Object value) {}

      @Override
      public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        end.complete(Status.OK);
      }
    };
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T, R> ClientResponseObserver<T, R> neverRead(
      List<ClientCallStreamObserver<?>> calls, List<CompletableFuture<Status>> ends) {
    return (ClientResponseObserver) neverReadRaw(calls, ends);
  }

  @Test
  void unreadSocketHistoryAndFetchStayBoundedAndOthersAreServed(@TempDir Path dir)
      throws Exception {
    try (ChildServer server = ChildServer.start(dir, "unread-socket-history", Map.of());
        Honest honest = new Honest(server, "alice", "bob", null)) {
      honest.roundTrip();
      ChildServer.Memory before = server.memory();
      Attack.sendSealed(server, PEER, OWNER, MESSAGES);

      List<LineClient> attackers = new ArrayList<>();
      Attack.Tally during = new Attack.Tally();
      ChildServer.Memory under;
      Map<String, Integer> outcomes = new TreeMap<>();
      try {
        for (int i = 0; i < CONNECTIONS; i++) {
          LineClient c = LineClient.connect(server.socketPort(), LineClient.ATTACKER_ADDRESS, 4096);
          attackers.add(c);
          c.send(LineClient.line("id", 1, "op", "login", "user", OWNER, "subscribe", false));
          Attack.expectOk(c.reply(1, Honest.STEP), "attacker login");
          c.send(LineClient.line("id", 2, "op", "history", "with", PEER, "limit", 500));
          c.send(LineClient.line("id", 3, "op", "history", "with", PEER, "limit", 500));
          c.send(LineClient.line("id", 4, "op", "fetch", "limit", 1000));
        }
        for (int i = 0; i < 3; i++) {
          during.run(honest);
        }
        under = server.memory();
        // The attacker finally reads one answer: it is an answer, an error, or the end.
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (LineClient c : attackers) {
          answers.add(CompletableFuture.supplyAsync(() -> firstAnswer(c)));
        }
        for (CompletableFuture<String> a : answers) {
          outcomes.merge(a.get(30, TimeUnit.SECONDS), 1, Integer::sum);
        }
      } finally {
        Attack.closeAll(attackers);
      }
      Attack.Tally after = new Attack.Tally();
      after.run(honest);
      ChildServer.Memory end = server.memory();

      Attack.figures("unread socket history/fetch", "connections", CONNECTIONS,
          "messages", MESSAGES, "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "baselineHeapMiB", before.heapMiB(), "endHeapMiB", end.heapMiB(),
          "attackerOutcomes", outcomes, "honestDuring", during, "honestAfter", after,
          "alive", server.alive());
      assertThat(during.ok).as("honest round trips during the attack: %s", during).isEqualTo(3);
      Attack.assertWithinBounds(under);
      assertThat(outcomes.keySet()).as("what the attacker read").doesNotContain("timeout");
      assertThat(after.ok).as("honest round trip after the attack: %s", after).isEqualTo(1);
      assertThat(server.alive()).isTrue();
    }
  }

  /** "ok", the error code, "closed", or "timeout" if nothing came within 15 s. */
  private static String firstAnswer(LineClient c) {
    try {
      JsonNode n = c.read(Duration.ofSeconds(15));
      if (n == null) {
        return "closed";
      }
      return n.path("ok").asBoolean() ? "ok" : n.path("error").path("code").asText("malformed");
    } catch (java.net.SocketTimeoutException e) {
      return "timeout";
    } catch (IOException e) {
      return "closed";
    }
  }
}
