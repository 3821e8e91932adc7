package spartan.transport.socket.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.Recipient;
import spartan.core.service.LocalChatService;
import spartan.core.store.MemoryChatStore;
import spartan.transport.socket.wire.Op;

/**
 * The server pipeline on an EmbeddedChannel: every request runs synchronously (direct executors),
 * and time is advanced by hand for the deadlines, so each case is exact and fast.
 */
class SocketServerHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ServerSettings SETTINGS =
      new ServerSettings(
          4096,
          Duration.ofSeconds(30),
          Duration.ofMinutes(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(1),
          0);

  private MemoryChatStore store;
  private LocalChatService core;
  private EmbeddedChannel ch;
  /** Tasks handed to the blocking executor (which runs them at once). */
  private final AtomicInteger handOffs = new AtomicInteger();

  @BeforeEach
  void start() {
    store = new MemoryChatStore();
    core = LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build();
    core.createAccount("alice", null);
    core.createAccount("bob", null);
    Executor blocking =
        r -> {
          handOffs.incrementAndGet();
          r.run();
        };
    ServerPipeline pipeline = new ServerPipeline(core, blocking, SETTINGS);
    ch =
        new EmbeddedChannel(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel c) {
                pipeline.configure(c.pipeline());
              }
            });
    ch.freezeTime(); // only advanceTimeBy moves the deadlines' clock from here on
  }

  @AfterEach
  void stop() {
    ch.finishAndReleaseAll();
    core.close();
    store.close();
  }

  /** Writes raw text, lets every queued task run, and returns the lines written back. */
  private List<JsonNode> send(String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    return drain();
  }

  private List<JsonNode> drain() {
    ch.runPendingTasks();
    List<JsonNode> out = new ArrayList<>();
    for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
      try {
        String s = b.toString(StandardCharsets.UTF_8);
        assertThat(s).endsWith("\n");
        out.add(JSON.readTree(s));
      } catch (Exception e) {
        throw new AssertionError(e);
      } finally {
        b.release();
      }
      ch.runPendingTasks();
    }
    return out;
  }

  private JsonNode one(String line) {
    List<JsonNode> out = send(line + "\n");
    assertThat(out).as(line).hasSize(1);
    return out.get(0);
  }

  private static String code(JsonNode reply) {
    assertThat(reply.get("ok").asBoolean()).as(reply.toString()).isFalse();
    return reply.path("error").path("code").asText();
  }

  @Test
  void malformedJsonGetsBadRequestAndTheConnectionStaysUsable() {
    JsonNode r = one("{\"id\":1,\"op\":");
    assertThat(code(r)).isEqualTo("bad_request");
    assertThat(r.get("id").isNull()).isTrue();
    assertThat(one("{\"id\":2,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
    assertThat(ch.isActive()).isTrue();
  }

  @Test
  void envelopesAreChecked() {
    assertThat(code(one("[1,2]"))).isEqualTo("bad_request");
    assertThat(code(one("\"ping\""))).isEqualTo("bad_request");
    JsonNode noOp = one("{\"id\":7}");
    assertThat(code(noOp)).isEqualTo("bad_request");
    assertThat(noOp.get("id").asInt()).isEqualTo(7);
    assertThat(code(one("{\"id\":8,\"op\":3}"))).isEqualTo("bad_request");
    assertThat(code(one("{\"id\":{\"x\":1},\"op\":\"ping\"}"))).isEqualTo("bad_request");
    JsonNode unknown = one("{\"id\":\"abc\",\"op\":\"teleport\"}");
    assertThat(code(unknown)).isEqualTo("unknown_op");
    assertThat(unknown.get("id").asText()).isEqualTo("abc");
    assertThat(code(one("{\"id\":9,\"op\":\"PING\"}"))).isEqualTo("unknown_op");
  }

  @Test
  void duplicateKeysAndHostileJsonAreBadRequests() {
    assertThat(code(one("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"user\":\"alice\"}")))
        .isEqualTo("bad_request");
    assertThat(
            code(one("{\"id\":1,\"op\":\"ping\",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}")))
        .isEqualTo("bad_request");
    // Unknown fields are ignored, and never select a type.
    assertThat(
            one("{\"id\":1,\"op\":\"ping\",\"@class\":\"java.lang.Runtime\"}")
                .get("ok")
                .asBoolean())
        .isTrue();
  }

  @Test
  void wrongFieldTypesAreInvalidArgumentsNamingTheField() {
    JsonNode r = one("{\"id\":1,\"op\":\"login\",\"user\":42}");
    assertThat(code(r)).isEqualTo("invalid_argument");
    assertThat(r.path("error").path("message").asText()).contains("'user'");
    one("{\"id\":2,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    JsonNode ack = one("{\"id\":3,\"op\":\"ack\",\"upTo\":\"ten\"}");
    assertThat(code(ack)).isEqualTo("invalid_argument");
    assertThat(ack.path("error").path("message").asText()).contains("'upTo'");
    JsonNode limit = one("{\"id\":4,\"op\":\"fetch\",\"limit\":1.5}");
    assertThat(limit.path("error").path("message").asText()).contains("'limit'");
    JsonNode members =
        one("{\"id\":5,\"op\":\"create_group\",\"group\":\"g\",\"members\":[\"bob\",7]}");
    assertThat(members.path("error").path("message").asText()).contains("'members'");
    JsonNode both = one("{\"id\":6,\"op\":\"send\",\"to\":\"bob\",\"group\":\"g\",\"body\":\"x\"}");
    assertThat(code(both)).isEqualTo("invalid_argument");
    JsonNode sealed = one("{\"id\":7,\"op\":\"send\",\"to\":\"bob\",\"sealed\":\"%%%\"}");
    assertThat(sealed.path("error").path("message").asText()).contains("'sealed'");
  }

  /** A well-formed send to a name no account can have is answered; it used to close the line. */
  @Test
  void aSendToANameThatBreaksTheRulesIsAnInvalidArgument_andTheConnectionStaysUsable() {
    one("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    JsonNode r = one("{\"id\":2,\"op\":\"send\",\"to\":\"no such name!\",\"body\":\"x\"}");
    assertThat(code(r)).isEqualTo("invalid_argument");
    assertThat(r.get("id").asInt()).isEqualTo(2);
    assertThat(one("{\"id\":3,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
    assertThat(ch.isActive()).isTrue();
  }

  @Test
  void onlyPingInfoCreateAccountLoginAndResumeWorkBeforeLogin() {
    assertThat(one("{\"id\":1,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
    assertThat(one("{\"id\":2,\"op\":\"info\"}").get("authMode").asText()).isEqualTo("open");
    assertThat(one("{\"id\":3,\"op\":\"create_account\",\"user\":\"carol\"}").get("ok").asBoolean())
        .isTrue();
    for (Op op : Op.values()) {
      if (op.needsSession) {
        assertThat(code(one("{\"id\":4,\"op\":\"" + op.wire + "\"}")))
            .as(op.wire)
            .isEqualTo("unauthenticated");
      }
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderEvenAfterALogin() {
    List<JsonNode> out =
        send(
            "{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}\n"
                + "{\"id\":2,\"op\":\"send\",\"to\":\"bob\",\"body\":\"hi\"}\n"
                + "{\"id\":3,\"op\":\"history\",\"with\":\"bob\"}\n"
                + "{\"id\":4,\"op\":\"login\",\"user\":\"bob\"}\n");
    assertThat(out).extracting(n -> n.get("id").asInt()).containsExactly(1, 2, 3, 4);
    assertThat(out.get(1).get("msgId").asLong()).isPositive();
    assertThat(out.get(2).get("messages")).hasSize(1);
    assertThat(code(out.get(3))).as("one session per connection").isEqualTo("invalid_argument");
  }

  @Test
  void loginPushesUndeliveredMessagesAfterTheReplyThenLiveOnes() {
    var alice = core.login("alice", null);
    alice.send(Recipient.user("bob"), "one");
    alice.send(Recipient.user("bob"), "two");
    List<JsonNode> out = send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    assertThat(out).hasSize(3);
    assertThat(out.get(0).get("id").asInt()).isEqualTo(1);
    assertThat(out.get(0).get("token").asText()).isNotBlank();
    assertThat(out.subList(1, 3)).extracting(n -> n.get("event").asText()).containsOnly("message");
    assertThat(out.subList(1, 3))
        .extracting(n -> n.get("body").asText())
        .containsExactly("one", "two");
    assertThat(out.subList(1, 3)).extracting(n -> n.get("seq").asLong()).containsExactly(1L, 2L);
    alice.send(Recipient.user("bob"), "three");
    List<JsonNode> live = drain();
    assertThat(live).extracting(n -> n.get("body").asText()).containsExactly("three");
    assertThat(live.get(0).has("id")).isFalse();
  }

  @Test
  void subscribeFalseWaitsForAnExplicitSubscribeWithACursor() {
    var alice = core.login("alice", null);
    for (String t : List.of("a", "b", "c")) {
      alice.send(Recipient.user("bob"), t);
    }
    assertThat(send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"subscribe\":false}\n"))
        .hasSize(1);
    List<JsonNode> out = send("{\"id\":2,\"op\":\"subscribe\",\"after\":2}\n");
    assertThat(out.get(0).get("id").asInt()).isEqualTo(2);
    assertThat(out.subList(1, out.size()))
        .extracting(n -> n.get("body").asText())
        .containsExactly("c");
  }

  @Test
  void aStreamEndedFromElsewhereIsAnnounced() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    String token = core.login("bob", null).token();
    assertThat(token).isNotBlank();
    core.close(); // ends every session, as a shutdown would
    List<JsonNode> out = drain();
    assertThat(out).extracting(n -> n.path("event").asText()).containsExactly("stream_end");
  }

  @Test
  void aSubscribeOnASessionEndedElsewhereIsFollowedByStreamEnd() {
    List<JsonNode> login =
        send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"subscribe\":false}\n");
    core.resume(login.get(0).get("token").asText()).logout();
    List<JsonNode> out = send("{\"id\":2,\"op\":\"subscribe\"}\n");
    assertThat(out).hasSize(2);
    assertThat(out.get(0).get("id").asInt()).isEqualTo(2);
    assertThat(out.get(1).get("event").asText()).isEqualTo("stream_end");
    assertThat(out.get(1).get("code").asText()).isEqualTo("unauthenticated");
  }

  @Test
  void logoutAndDeleteAccountReplyThenClose() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    List<JsonNode> out = send("{\"id\":2,\"op\":\"logout\"}\n{\"id\":3,\"op\":\"ping\"}\n");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).get("ok").asBoolean()).isTrue();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void anOversizeLineIsRefusedAndTheConnectionClosed() {
    List<JsonNode> out = send("x".repeat(SETTINGS.maxLineBytes() + 1));
    assertThat(out).hasSize(1);
    assertThat(code(out.get(0))).isEqualTo("frame_too_large");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aConnectionThatDoesNotLogInInTimeIsClosed() {
    assertThat(one("{\"id\":1,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
    ch.advanceTimeBy(SETTINGS.loginTimeout().toMillis() - 1000, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(2000, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    List<JsonNode> out = drain();
    assertThat(out).hasSize(1);
    assertThat(code(out.get(0))).isEqualTo("unauthenticated");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aLoggedInConnectionOutlivesTheLoginDeadline() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    ch.advanceTimeBy(SETTINGS.loginTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    assertThat(one("{\"id\":2,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
  }

  @Test
  void aLineThatDoesNotCompleteInTimeIsCutOff() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n{\"id\":2,\"op\":\"pi");
    ch.advanceTimeBy(SETTINGS.lineTimeout().toMillis() / 2, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    send("n"); // trickling more bytes does not reset the clock: only a newline does
    ch.advanceTimeBy(SETTINGS.lineTimeout().toMillis() / 2 + 1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    List<JsonNode> out = drain();
    assertThat(out).hasSize(1);
    assertThat(code(out.get(0))).isEqualTo("bad_request");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void completeLinesKeepTheLineClockQuiet() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    for (int i = 0; i < 5; i++) {
      ch.advanceTimeBy(SETTINGS.lineTimeout().toMillis(), TimeUnit.MILLISECONDS);
      ch.runScheduledPendingTasks();
      // a line split over two reads, each completing well within the deadline
      send("{\"id\":2,\"op\":");
      assertThat(send("\"ping\"}\n")).hasSize(1);
    }
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void aHalfClosedClientGetsItsRepliesThenTheConnectionCloses() {
    ch.writeInbound(
        Unpooled.copiedBuffer(
            "{\"id\":1,\"op\":\"ping\"}\n{\"id\":2,\"op\":\"info\"}\n", StandardCharsets.UTF_8));
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    List<JsonNode> out = drain();
    assertThat(out).extracting(n -> n.get("id").asInt()).containsExactly(1, 2);
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aHalfClosedLoggedInClientStillGetsItsEventsForOneLineTimeout() {
    core.login("bob", null).send(Recipient.user("alice"), "waiting for you");
    ch.writeInbound(
        Unpooled.copiedBuffer("{\"id\":1,\"op\":\"login\",\"user\":\"alice\"}\n", StandardCharsets.UTF_8));
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    List<JsonNode> out = drain();
    assertThat(out).hasSize(2);
    assertThat(out.get(0).get("ok").asBoolean()).isTrue();
    assertThat(out.get(1).get("event").asText()).isEqualTo("message");
    assertThat(out.get(1).get("body").asText()).isEqualTo("waiting for you");
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(SETTINGS.lineTimeout().toMillis(), TimeUnit.MILLISECONDS);
    ch.runPendingTasks();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void sendsThatArriveTogetherRunAsOneBatchInOrder() {
    one("{\"id\":0,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    handOffs.set(0);
    StringBuilder burst = new StringBuilder();
    for (int i = 1; i <= 10; i++) {
      burst.append("{\"id\":").append(i).append(",\"op\":\"send\",\"to\":\"bob\",\"body\":\"m")
          .append(i).append("\"}\n");
    }
    burst.append("{\"id\":11,\"op\":\"history\",\"with\":\"bob\"}\n");
    List<JsonNode> out = send(burst.toString());
    assertThat(out).extracting(n -> n.get("id").asInt())
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(out.subList(0, 10)).allSatisfy(n -> assertThat(n.get("ok").asBoolean()).isTrue());
    assertThat(out.get(10).get("messages")).extracting(m -> m.get("body").asText())
        .containsExactly("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10");
    // The first send starts alone; the nine that arrived while it ran go together; then history.
    assertThat(handOffs.get()).isEqualTo(3);
  }

  @Test
  void aBatchNeverExceedsTheUnrepliedBound() {
    one("{\"id\":0,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    handOffs.set(0);
    int n = SocketServerHandler.MAX_UNREPLIED * 3;
    StringBuilder burst = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      burst.append("{\"id\":").append(i).append(",\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}\n");
    }
    List<JsonNode> out = send(burst.toString());
    assertThat(out).hasSize(n);
    assertThat(out).extracting(r -> r.get("id").asInt()).doesNotHaveDuplicates();
    assertThat(handOffs.get()).isBetween(4, n - 1);
    assertThat(store.lastSeq("bob")).isEqualTo(n);
  }

  @Test
  void aBurstOfEventsArrivesInOrder() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    var alice = core.login("alice", null);
    for (int i = 1; i <= 200; i++) {
      alice.send(Recipient.user("bob"), "e" + i);
    }
    List<JsonNode> out = drain();
    assertThat(out).extracting(n -> n.get("seq").asLong())
        .hasSize(200).isSorted().doesNotHaveDuplicates().startsWith(1L).endsWith(200L);
  }

  @Test
  void eventsAlreadyPassedToTheConnectionGoOutBeforeTheStreamEnd() {
    send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}\n");
    var alice = core.login("alice", null);
    for (int i = 1; i <= 20; i++) {
      alice.send(Recipient.user("bob"), "e" + i);
    }
    core.close(); // before the event loop has written any of them
    List<JsonNode> out = drain();
    assertThat(out).hasSize(21);
    assertThat(out.subList(0, 20)).extracting(n -> n.get("seq").asLong())
        .isSorted().startsWith(1L).endsWith(20L);
    assertThat(out.get(20).get("event").asText()).isEqualTo("stream_end");
  }

  // ---- hardening (issue 17) ---------------------------------------------------------------------

  /** Writes raw bytes (which need not be valid UTF-8) and returns the lines written back. */
  private List<JsonNode> sendBytes(byte[] bytes) {
    ch.writeInbound(Unpooled.wrappedBuffer(bytes));
    return drain();
  }

  private static byte[] withOverlongSlash(String before, String after) {
    byte[] a = before.getBytes(StandardCharsets.UTF_8);
    byte[] b = after.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[a.length + 2 + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    out[a.length] = (byte) 0xC0; // an overlong encoding of '/', which RFC 3629 forbids
    out[a.length + 1] = (byte) 0xAF;
    System.arraycopy(b, 0, out, a.length + 2, b.length);
    return out;
  }

  @Test
  void anOverlongUtf8SequenceIsRefusedOnTheFastPathAndTheTreePath_andNothingIsStored() {
    one("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    // exactly a send: the fast path's shape
    List<JsonNode> fast =
        sendBytes(withOverlongSlash("{\"id\":2,\"op\":\"send\",\"to\":\"bob\",\"body\":\"a", "b\"}\n"));
    // an extra field sends the line down the tree path
    List<JsonNode> tree =
        sendBytes(
            withOverlongSlash(
                "{\"id\":3,\"op\":\"send\",\"to\":\"bob\",\"x\":1,\"body\":\"a", "b\"}\n"));
    for (List<JsonNode> out : List.of(fast, tree)) {
      assertThat(out).hasSize(1);
      assertThat(code(out.get(0))).isEqualTo("bad_request");
      assertThat(out.get(0).path("error").path("message").asText()).contains("UTF-8");
    }
    assertThat(store.lastSeq("bob")).isZero();
    assertThat(one("{\"id\":4,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
  }

  @Test
  void validMultiByteUtf8IsStillAccepted() {
    one("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
    JsonNode r = one("{\"id\":2,\"op\":\"send\",\"to\":\"bob\",\"body\":\"h\u00e9 \u20ac \ud83d\ude00\"}");
    assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
    assertThat(store.lastSeq("bob")).isEqualTo(1);
  }

  @Test
  void loginWithANegativeCursorIsAnInvalidArgumentAndLogsNobodyIn() {
    JsonNode r = one("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"after\":-1}");
    assertThat(code(r)).isEqualTo("invalid_argument");
    assertThat(r.path("error").path("message").asText()).contains("'after'");
    JsonNode resume = one("{\"id\":2,\"op\":\"resume\",\"token\":\"x\",\"after\":-5}");
    assertThat(code(resume)).isEqualTo("invalid_argument");
    // still not logged in, and a good login works
    assertThat(code(one("{\"id\":3,\"op\":\"fetch\"}"))).isEqualTo("unauthenticated");
    assertThat(one("{\"id\":4,\"op\":\"login\",\"user\":\"bob\"}").get("ok").asBoolean())
        .isTrue();
  }

  @Test
  void malformedLinesGetAShortFixedErrorThatNeverEchoesTheLine() {
    String junk = "hello" + "z".repeat(3000);
    JsonNode r = one(junk);
    assertThat(code(r)).isEqualTo("bad_request");
    String message = r.path("error").path("message").asText();
    assertThat(message).doesNotContain("hello").hasSizeLessThan(48);
    assertThat(one("{\"id\":2,\"op\":\"ping\"}").get("ok").asBoolean()).isTrue();
  }

  /** A sealed envelope of {@code size} bytes (opaque to the server). */
  private static spartan.core.MessageBody envelope(int size, int tag) {
    byte[] b = new byte[size];
    java.util.Arrays.fill(b, (byte) tag);
    return spartan.core.MessageBody.sealed(b);
  }

  @Test
  void historyAndFetchRepliesAreCappedInBytesAndSaySo() {
    var alice = core.login("alice", null);
    int n = 60; // 60 × 40 KiB envelopes: about 3.3 MB of base64, well past the cap
    for (int i = 0; i < n; i++) {
      alice.send(Recipient.user("bob"), envelope(40 * 1024, i), null);
    }
    one("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"subscribe\":false}");
    for (String req :
        List.of(
            "{\"id\":2,\"op\":\"history\",\"with\":\"alice\",\"limit\":500}",
            "{\"id\":3,\"op\":\"fetch\",\"limit\":1000}")) {
      ch.writeInbound(Unpooled.copiedBuffer(req + "\n", StandardCharsets.UTF_8));
      ch.runPendingTasks();
      ByteBuf line = ch.readOutbound();
      try {
        assertThat(line.readableBytes())
            .as("reply bytes of " + req)
            .isLessThanOrEqualTo(Operations.MAX_REPLY_BYTES + 64 * 1024);
        JsonNode reply;
        try {
          reply = JSON.readTree(line.toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        assertThat(reply.get("ok").asBoolean()).isTrue();
        assertThat(reply.get("truncated").asBoolean()).isTrue();
        JsonNode ms = reply.get("messages");
        assertThat(ms.size()).isBetween(1, n - 1);
        if (req.contains("history")) {
          // the newest are kept, so paging on with before = the first msgId leaves no gap
          assertThat(ms.get(ms.size() - 1).get("msgId").asLong()).isEqualTo(n);
        } else {
          assertThat(ms.get(0).get("seq").asLong()).isEqualTo(1); // the oldest undelivered first
        }
      } finally {
        line.release();
      }
    }
    JsonNode small = one("{\"id\":4,\"op\":\"history\",\"with\":\"alice\",\"limit\":2}");
    assertThat(small.get("messages")).hasSize(2);
    assertThat(small.has("truncated")).isFalse();
  }

  @Test
  void aSilentConnectionIsPingedThenClosed_andAnyLineIncludingPongAnswersThePing() {
    one("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"subscribe\":false}");
    long period = SETTINGS.keepAlive().toMillis();
    for (int i = 0; i < 3; i++) {
      ch.advanceTimeBy(period, TimeUnit.MILLISECONDS);
      ch.runScheduledPendingTasks();
      List<JsonNode> ping = drain();
      assertThat(ping).hasSize(1);
      assertThat(ping.get(0).get("event").asText()).isEqualTo("ping");
      assertThat(send("{\"op\":\"pong\"}\n")).as("a pong has no reply").isEmpty();
    }
    ch.advanceTimeBy(period, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(drain()).extracting(n -> n.path("event").asText()).containsExactly("ping");
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(period, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    List<JsonNode> out = drain();
    assertThat(out).hasSize(1);
    assertThat(code(out.get(0))).isEqualTo("idle_timeout");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aRunOfBadLinesClosesTheConnection_butAGoodLineInBetweenStartsTheCountAgain() {
    int max = SocketServerHandler.MAX_BAD_LINES_IN_A_ROW;
    List<JsonNode> out = send("x\n".repeat(max) + "{\"id\":1,\"op\":\"ping\"}\n" + "x\n".repeat(max));
    assertThat(out).hasSize(2 * max + 1);
    assertThat(ch.isOpen()).isTrue();
    out = send("{\"id\":2,\"op\":\"teleport\"}\n");
    assertThat(out).hasSize(1);
    assertThat(code(out.get(0))).isEqualTo("bad_request");
    assertThat(out.get(0).path("error").path("message").asText()).contains("in a row");
    assertThat(ch.isOpen()).isFalse();
  }
}
