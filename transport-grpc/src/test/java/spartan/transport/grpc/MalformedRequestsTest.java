package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * Requests that are not what their message type says are refused with {@code INVALID_ARGUMENT},
 * in-process and over Netty: a string field that is not UTF-8 (an overlong {@code C0 AF}, a lone
 * continuation byte, a truncated sequence, an encoded surrogate) in any request that carries
 * text, including inside a stream; bytes that are not protobuf at all; and a negative resume
 * cursor on {@code ReceiveMsg}. Nothing of it is stored. (The only {@code bytes} fields, a
 * sealed envelope and a key bundle, are opaque binary by design, never text.)
 */
class MalformedRequestsTest {
  /** Invalid UTF-8: overlong '/', lone continuation, truncated 3-byte sequence, a surrogate. */
  private static final List<byte[]> BAD_UTF8 =
      List.of(
          new byte[] {(byte) 0xC0, (byte) 0xAF},
          new byte[] {'a', (byte) 0x80, 'b'},
          new byte[] {(byte) 0xE2, (byte) 0x82},
          new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});

  @RegisterExtension final ServerFixture fixture = new ServerFixture();
  private final LocalChatService core = fixture.core;
  private GrpcServer server;
  private ManagedChannel channel;
  private Session alice;

  @BeforeEach
  void start() {
    fixture.createAccounts("alice", "bob");
    alice = core.login("alice", null);
    alice.createGroup("crew", List.of("bob"));
  }

  private void serve(String transport) throws IOException {
    if (transport.equals("netty")) {
      server = fixture.start(core, fixture.loopback());
      channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    } else {
      String name = InProcessServerBuilder.generateName();
      server = fixture.inProcess(name);
      channel = InProcessChannelBuilder.forName(name).build();
    }
    fixture.shutDownAfter(channel);
  }

  @ParameterizedTest
  @ValueSource(strings = {"inprocess", "netty"})
  void aStringThatIsNotUtf8IsRefusedInEveryRequestThatCarriesText(String transport)
      throws Exception {
    serve(transport);
    for (byte[] bad : BAD_UTF8) {
      // CreateAccount.user, CreateAccount.password, Login.user
      assertInvalid(SpartanGrpc.getCreateAccountMethod(), str(1, bad));
      assertInvalid(SpartanGrpc.getCreateAccountMethod(), cat(str(1, "zed"), str(2, bad)));
      assertInvalid(SpartanGrpc.getLoginMethod(), str(1, bad));
      // SendMessage: to.user, to.group, body.text, client_msg_id
      byte[] toBob = msg(1, str(1, "bob"));
      byte[] hello = msg(2, str(1, "hello"));
      assertInvalid(SpartanGrpc.getSendMessageMethod(), cat(msg(1, str(1, bad)), hello));
      assertInvalid(SpartanGrpc.getSendMessageMethod(), cat(msg(1, str(2, bad)), hello));
      assertInvalid(SpartanGrpc.getSendMessageMethod(), cat(toBob, msg(2, str(1, bad))));
      assertInvalid(SpartanGrpc.getSendMessageMethod(), cat(toBob, hello, str(3, bad)));
      // SendStream: a send inside the stream
      assertInvalid(
          SpartanGrpc.getSendStreamMethod(), cat(varint(1, 1), msg(2, cat(toBob, msg(2, str(1, bad))))));
      // ListAccounts.pattern and .after, History.with, groups, chat requests, keys
      assertInvalid(SpartanGrpc.getListAccountsMethod(), cat(str(1, bad), varint(3, 10)));
      assertInvalid(SpartanGrpc.getListAccountsMethod(), cat(str(2, bad), varint(3, 10)));
      assertInvalid(SpartanGrpc.getHistoryMethod(), cat(msg(1, str(1, bad)), varint(3, 10)));
      assertInvalid(SpartanGrpc.getCreateGroupMethod(), cat(str(1, "g2"), str(2, bad)));
      assertInvalid(SpartanGrpc.getJoinGroupMethod(), str(1, bad));
      assertInvalid(SpartanGrpc.getLeaveGroupMethod(), str(1, bad));
      assertInvalid(SpartanGrpc.getListGroupsMethod(), cat(str(1, bad), varint(2, 10)));
      assertInvalid(SpartanGrpc.getRequestChatMethod(), str(1, bad));
      assertInvalid(SpartanGrpc.getRespondChatMethod(), str(1, bad));
      assertInvalid(SpartanGrpc.getFetchKeysMethod(), str(1, bad));
    }
    // Not protobuf at all: a field with a length past the end.
    assertInvalid(SpartanGrpc.getLoginMethod(), new byte[] {0x0A, 0x7F, 'a'});

    // Nothing reached the store, and a well-formed request still works on the same channel.
    assertThat(core.login("bob", null).fetchUndelivered(10)).isEmpty();
    assertThat(alice.history(Recipient.group("crew"), 0, 10)).isEmpty();
    Status ok = call(SpartanGrpc.getLoginMethod(), str(1, "bob"));
    assertThat(ok.getCode()).isEqualTo(Status.Code.OK);
    // The refused send streams were cleaned up as cancelled ones.
    await().atMost(Duration.ofSeconds(10)).until(() -> server.endpoint().openSendStreams() == 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"inprocess", "netty"})
  void aNegativeResumeCursorIsRefused(String transport) throws Exception {
    serve(transport);
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    SpartanGrpc.newStub(channel)
        .withCallCredentials(BearerAuth.credentials(alice.token()))
        .receiveMsg(
            ChatProto.ReceiveMsgRequest.newBuilder().setAfterSeq(-1).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(ChatProto.Event value) {
                failed.completeExceptionally(new AssertionError("event " + value));
              }

              @Override
              public void onError(Throwable t) {
                failed.complete(t);
              }

              @Override
              public void onCompleted() {
                failed.completeExceptionally(new AssertionError("completed"));
              }
            });
    // Refused outright: no `started` event comes first (that would fail the future above).
    Status status = Status.fromThrowable(failed.get(10, TimeUnit.SECONDS));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("negative");
  }

  private void assertInvalid(MethodDescriptor<?, ?> method, byte[] request) throws Exception {
    Status status = call(method, request);
    assertThat(status.getCode())
        .as("%s with %s", method.getBareMethodName(), hex(request))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("not valid");
  }

  /** Sends {@code request} as the raw body of one {@code method} call and returns its status. */
  private Status call(MethodDescriptor<?, ?> method, byte[] request) throws Exception {
    MethodDescriptor<byte[], byte[]> raw =
        MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
            .setType(method.getType())
            .setFullMethodName(method.getFullMethodName())
            .build();
    StatusListener<byte[]> listener = new StatusListener<>();
    ClientCall<byte[], byte[]> call =
        channel.newCall(
            raw, CallOptions.DEFAULT.withCallCredentials(BearerAuth.credentials(alice.token())));
    call.start(listener, new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(request);
    call.halfClose();
    return listener.closed.get(10, TimeUnit.SECONDS);
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };

  // ---- protobuf by hand: only what these requests need (fields below 16, short lengths) --------

  private static byte[] str(int field, byte[] value) {
    return cat(new byte[] {(byte) (field << 3 | 2), (byte) value.length}, value);
  }

  private static byte[] str(int field, String value) {
    return str(field, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] msg(int field, byte[] body) {
    return str(field, body);
  }

  private static byte[] varint(int field, int value) {
    return new byte[] {(byte) (field << 3), (byte) value};
  }

  private static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x));
    }
    return s.toString();
  }
}
