package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.spi.TransportOptions;
import spartan.proto.v1.ChatProto;

/**
 * Every core error code survives the trip server → gRPC status → client with the same code,
 * message and retry delay, and nothing else (no cause, no stack trace) crosses.
 */
class StatusMappingTest {
  private static final Map<ErrorCode, Status.Code> WIRE =
      Map.of(
          ErrorCode.UNAUTHENTICATED, Status.Code.UNAUTHENTICATED,
          ErrorCode.NOT_FOUND, Status.Code.NOT_FOUND,
          ErrorCode.ALREADY_EXISTS, Status.Code.ALREADY_EXISTS,
          ErrorCode.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT,
          ErrorCode.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED,
          ErrorCode.RATE_LIMITED, Status.Code.RESOURCE_EXHAUSTED,
          ErrorCode.UNAVAILABLE, Status.Code.UNAVAILABLE,
          ErrorCode.INTERNAL, Status.Code.INTERNAL);

  private final FailingService failing = new FailingService();
  private ExecutorService blocking;
  private GrpcServer server;
  private GrpcClient client;

  @BeforeEach
  void start() throws Exception {
    blocking = Executors.newCachedThreadPool();
    String name = InProcessServerBuilder.generateName();
    server =
        GrpcServer.inProcess(failing, name, blocking, TransportOptions.DEFAULT_MAX_FRAME_BYTES);
    client = new GrpcClient(InProcessChannelBuilder.forName(name).build());
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static ChatException failure(ErrorCode code) {
    return code == ErrorCode.RATE_LIMITED
        ? ChatException.rateLimited(Duration.ofMillis(1234))
        : new ChatException(code, "Failure " + code + " for the person at the client.");
  }

  @Test
  void everyCoreCodeHasItsOwnWireCode() {
    assertThat(WIRE.keySet()).isEqualTo(EnumSet.allOf(ErrorCode.class));
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(StatusMapping.codeOf(code)).isEqualTo(WIRE.get(code));
    }
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void eachCodeMapsToItsStatusAndBack(ErrorCode code) {
    ChatException original = failure(code);
    StatusRuntimeException wire = StatusMapping.toStatus(original);
    assertThat(wire.getStatus().getCode()).isEqualTo(WIRE.get(code));
    assertThat(wire.getStatus().getDescription()).isEqualTo(original.getMessage());
    assertThat(wire.getStatus().getCause()).isNull();

    ChatException back = StatusMapping.toChatException(wire);
    assertThat(back.code()).isEqualTo(code);
    assertThat(back.getMessage()).isEqualTo(original.getMessage());
    assertThat(back.retryAfter()).isEqualTo(original.retryAfter());
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void eachCodeSurvivesARealCall(ErrorCode code) {
    ChatException original = failure(code);
    failing.next = original;
    assertThatThrownBy(() -> client.createAccount("alice", null))
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).isEqualTo(original.getMessage());
              assertThat(e.retryAfter()).isEqualTo(original.retryAfter());
            });
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void eachCodeSurvivesAsAPerSendErrorOnTheSendStream(ErrorCode code) {
    ChatException original = failure(code);
    ChatProto.SendError wire = StatusMapping.toSendError(original);
    assertThat(wire.getCode()).isEqualTo(WIRE.get(code).name());
    assertThat(wire.getMessage()).isEqualTo(original.getMessage());

    ChatException back = StatusMapping.toChatException(wire);
    assertThat(back.code()).isEqualTo(code);
    assertThat(back.getMessage()).isEqualTo(original.getMessage());
    assertThat(back.retryAfter()).isEqualTo(original.retryAfter());
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void eachCodeThatEndsASendStreamFailsTheSendWithIt(ErrorCode code) {
    ChatException original = failure(code);
    failing.next = original; // the stream's resume fails: a stream-level status
    CompletableFuture<?> send =
        new GrpcClientSession(client, "alice", "some-token")
            .sendAsync(Recipient.user("bob"), MessageBody.text("hi"), null);
    assertThatThrownBy(send::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).isEqualTo(original.getMessage());
              assertThat(e.retryAfter()).isEqualTo(original.retryAfter());
            });
  }

  @Test
  void aPerSendErrorNeverSaysRetryAtOnceAndFoldsUnknownCodesIntoInternal() {
    ChatProto.SendError zero = StatusMapping.toSendError(ChatException.rateLimited(Duration.ZERO));
    assertThat(zero.getRetryAfterMs()).isEqualTo(1);
    ChatException back = StatusMapping.toChatException(zero);
    assertThat(back.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(back.retryAfter()).isEqualTo(Duration.ofMillis(1));
    assertThat(
            StatusMapping.toSendError(ChatException.rateLimited(Duration.ofNanos(1_000_001)))
                .getRetryAfterMs())
        .isEqualTo(2);

    ChatException unknown =
        StatusMapping.toChatException(
            ChatProto.SendError.newBuilder().setCode("NO_SUCH_CODE").setMessage("?").build());
    assertThat(unknown.code()).isEqualTo(ErrorCode.INTERNAL);

    ChatProto.SendError leaked =
        StatusMapping.toSendError(new IllegalStateException("db password is hunter2"));
    assertThat(leaked.getCode()).isEqualTo("INTERNAL");
    assertThat(leaked.getMessage()).isEqualTo("internal error");
  }

  @Test
  void rateLimitDelaySurvivesInTheRetryAfterTrailer() {
    failing.next = ChatException.rateLimited(Duration.ofMillis(66_600));
    ChatException e = catchChat(() -> client.login("alice", null));
    assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(66_600));
    assertThat(e.getMessage()).isEqualTo("Rate limited — try again in 66.6 s.");
  }

  /**
   * A wait under a millisecond, or with a fraction of one, is rounded up in the trailer: a
   * truncated {@code retry-after-ms: 0} would tell the client to retry at once and be refused.
   */
  @Test
  void theRetryAfterTrailerIsRoundedUpAndNeverZero() {
    Metadata subMilli =
        StatusMapping.toStatus(ChatException.rateLimited(Duration.ofNanos(300_000))).getTrailers();
    assertThat(subMilli.get(StatusMapping.RETRY_AFTER_MS)).isEqualTo("1");
    Metadata fraction =
        StatusMapping.toStatus(ChatException.rateLimited(Duration.ofMillis(1).plusNanos(1)))
            .getTrailers();
    assertThat(fraction.get(StatusMapping.RETRY_AFTER_MS)).isEqualTo("2");
    Metadata none = StatusMapping.toStatus(ChatException.invalid("no")).getTrailers();
    assertThat(none.get(StatusMapping.RETRY_AFTER_MS)).isNull();

    failing.next = ChatException.rateLimited(Duration.ofNanos(300_000));
    ChatException e = catchChat(() -> client.login("alice", null));
    assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void unexpectedFailuresCrossAsInternalWithoutTheirCauseOrDetails() {
    failing.nextUnexpected = new IllegalStateException("db password is hunter2");
    ChatException e = catchChat(() -> client.createAccount("alice", null));
    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(e.getMessage()).isEqualTo("internal error");
    Throwable t = e;
    while (t != null) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter2");
      assertThat(t).isNotInstanceOf(IllegalStateException.class);
      t = t.getCause();
    }
  }

  @Test
  void aRateLimitStatusWithoutDelayIsAFrameLimitAndOtherStatusesFoldIn() {
    assertThat(
            StatusMapping.toChatException(
                    Status.RESOURCE_EXHAUSTED.withDescription("too big").asRuntimeException())
                .code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(StatusMapping.toChatException(Status.DEADLINE_EXCEEDED.asRuntimeException()).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(StatusMapping.toChatException(Status.CANCELLED.asRuntimeException()).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(StatusMapping.toChatException(Status.UNIMPLEMENTED.asRuntimeException()).code())
        .isEqualTo(ErrorCode.INTERNAL);
    Metadata bad = new Metadata();
    bad.put(StatusMapping.RETRY_AFTER_MS, "soon");
    ChatException garbled =
        StatusMapping.toChatException(Status.RESOURCE_EXHAUSTED.asRuntimeException(bad));
    assertThat(garbled.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(garbled.retryAfter()).isEqualTo(ChatException.MIN_RETRY_AFTER);
  }

  @Test
  void anUnreachableServerIsUnavailable() {
    GrpcClient nowhere =
        new GrpcClient(
            InProcessChannelBuilder.forName(InProcessServerBuilder.generateName()).build());
    try {
      assertThat(catchChat(nowhere::authMode).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    } finally {
      nowhere.close();
    }
  }

  private static ChatException catchChat(Runnable call) {
    try {
      call.run();
    } catch (ChatException e) {
      return e;
    }
    throw new AssertionError("expected a ChatException");
  }

  /** A service whose calls fail with whatever the test set. */
  private static final class FailingService implements ChatService {
    volatile ChatException next;
    volatile RuntimeException nextUnexpected;

    private RuntimeException failure() {
      return nextUnexpected != null ? nextUnexpected : next;
    }

    @Override
    public AuthMode authMode() {
      return AuthMode.OPEN;
    }

    @Override
    public void createAccount(String user, String password) {
      throw failure();
    }

    @Override
    public Session login(String user, String password) {
      throw failure();
    }

    @Override
    public Session resume(String token) {
      throw failure();
    }

    @Override
    public void close() {}
  }
}
