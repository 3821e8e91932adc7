package spartan.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * An honest pair of users who log in, send and receive over both transports while an attack runs:
 * the proof that the attack hurt no one else. Every step has a deadline; a failed step throws.
 */
final class Honest implements AutoCloseable {
  static final Duration STEP = Duration.ofSeconds(10);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ChildServer server;
  private final String sender;
  private final String receiver;
  private final String password;
  private final ManagedChannel channel;
  private int n;

  /** {@code password} is null in open mode. */
  Honest(ChildServer server, String sender, String receiver, String password) {
    this.server = server;
    this.sender = sender;
    this.receiver = receiver;
    this.password = password;
    this.channel = Grpc.newChannelBuilderForAddress(
            "127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create())
        .build();
  }

  /** Creates both accounts (password mode has no demo users). */
  void signUp() throws Exception {
    for (String user : new String[] {sender, receiver}) {
      blocking().createAccount(ChatProto.CreateAccountRequest.newBuilder()
          .setUser(user).setPassword(password).build());
    }
  }

  /** One message each way of delivery: over the socket transport, then over gRPC. */
  void roundTrip() throws Exception {
    socketRoundTrip();
    grpcRoundTrip();
  }

  void socketRoundTrip() throws Exception {
    String body = "honest-socket-" + (++n);
    try (LineClient rx = LineClient.connect(server.socketPort());
        LineClient tx = LineClient.connect(server.socketPort())) {
      login(rx, receiver, true);
      login(tx, sender, false);
      tx.send(LineClient.line("id", 2, "op", "send", "to", receiver, "body", body));
      expectOk(tx.reply(2, STEP), "send");
      JsonNode msg = rx.message(body, STEP);
      rx.send(LineClient.line("id", 3, "op", "ack", "upTo", msg.get("seq").asLong()));
      expectOk(rx.reply(3, STEP), "ack");
      for (LineClient c : new LineClient[] {rx, tx}) {
        c.send(LineClient.line("id", 9, "op", "logout"));
        expectOk(c.reply(9, STEP), "logout");
      }
    }
  }

  private void login(LineClient c, String user, boolean subscribe) throws Exception {
    c.send(password == null
        ? LineClient.line("id", 1, "op", "login", "user", user, "subscribe", subscribe)
        : LineClient.line("id", 1, "op", "login", "user", user, "password", password,
            "subscribe", subscribe));
    expectOk(c.reply(1, STEP), "login of " + user);
  }

  private static void expectOk(JsonNode reply, String what) {
    if (!reply.path("ok").asBoolean()) {
      throw new AssertionError("honest " + what + " failed: " + reply);
    }
  }

  void grpcRoundTrip() throws Exception {
    String body = "honest-grpc-" + (++n);
    String txToken = login(sender);
    String rxToken = login(receiver);
    CompletableFuture<Void> started = new CompletableFuture<>();
    CompletableFuture<Long> received = new CompletableFuture<>();
    CompletableFuture<ClientCallStreamObserver<?>> call = new CompletableFuture<>();
    SpartanGrpc.newStub(channel).withInterceptors(bearer(rxToken)).receiveMsg(
        ChatProto.ReceiveMsgRequest.getDefaultInstance(),
        new ClientResponseObserver<ChatProto.ReceiveMsgRequest, ChatProto.Event>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ChatProto.ReceiveMsgRequest> r) {
            call.complete(r);
          }

          @Override
          public void onNext(ChatProto.Event e) {
            if (e.hasStarted()) {
              started.complete(null);
            } else if (e.hasMessage()
                && e.getMessage().getMessage().getBody().getText().equals(body)) {
              received.complete(e.getMessage().getSeq());
            }
          }

          @Override
          public void onError(Throwable t) {
            started.completeExceptionally(t);
            received.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            received.completeExceptionally(new IllegalStateException("stream ended"));
          }
        });
    try {
      started.get(STEP.toSeconds(), TimeUnit.SECONDS);
      blocking().withInterceptors(bearer(txToken)).sendMessage(
          ChatProto.SendMessageRequest.newBuilder()
              .setTo(ChatProto.Recipient.newBuilder().setUser(receiver))
              .setBody(ChatProto.MessageBody.newBuilder().setText(body))
              .build());
      long seq = received.get(STEP.toSeconds(), TimeUnit.SECONDS);
      blocking().withInterceptors(bearer(rxToken))
          .ack(ChatProto.AckRequest.newBuilder().setUpToSeq(seq).build());
    } finally {
      call.getNow(null).cancel("done", null);
    }
    for (String token : new String[] {txToken, rxToken}) {
      blocking().withInterceptors(bearer(token))
          .logout(ChatProto.LogoutRequest.getDefaultInstance());
    }
  }

  private String login(String user) {
    ChatProto.LoginRequest.Builder req = ChatProto.LoginRequest.newBuilder().setUser(user);
    if (password != null) {
      req.setPassword(password);
    }
    return blocking().login(req.build()).getToken();
  }

  private SpartanGrpc.SpartanBlockingStub blocking() {
    return SpartanGrpc.newBlockingStub(channel)
        .withDeadlineAfter(STEP.toMillis(), TimeUnit.MILLISECONDS);
  }

  static io.grpc.ClientInterceptor bearer(String token) {
    Metadata m = new Metadata();
    m.put(AUTHORIZATION, "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
