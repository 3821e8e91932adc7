package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The framer and the server's request decoder on an EmbeddedChannel, with good, oversize and
 * corrupt input: each line becomes one {@link Inbound}.
 */
class RequestDecoderTest {
  private static final int MAX = 1024;
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          new LineBasedFrameDecoder(MAX, true, true), new RequestDecoder(WireJson.bounded(MAX)));

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private Object decode(String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    return ch.readInbound();
  }

  private String malformed(String text) {
    Object out = decode(text);
    assertThat(out).as(text).isInstanceOf(Inbound.Malformed.class);
    return ((Inbound.Malformed) out).reason();
  }

  @Test
  void aLineBecomesOneRequest() {
    Inbound.Request r = (Inbound.Request) decode("{\"id\":1,\"op\":\"ping\"}\n");
    assertThat(r.op()).isEqualTo(Op.PING);
    assertThat(r.id().asInt()).isEqualTo(1);
    assertThat(nextInbound()).isNull();
  }

  private Object nextInbound() {
    return ch.readInbound();
  }

  @Test
  void linesSplitAcrossReadsAndSeveralInOneReadAreFramed() {
    ch.writeInbound(Unpooled.copiedBuffer("{\"id\":1,\"op\":", StandardCharsets.UTF_8));
    assertThat(nextInbound()).isNull();
    ch.writeInbound(
        Unpooled.copiedBuffer("\"info\"}\r\n{\"id\":2,\"op\":\"ping\"}\n", StandardCharsets.UTF_8));
    assertThat(((Inbound.Request) ch.readInbound()).op()).isEqualTo(Op.INFO);
    assertThat(((Inbound.Request) ch.readInbound()).id().asInt()).isEqualTo(2);
  }

  /** Lines are read from a per-thread array that outlives them: each must read as itself. */
  @Test
  void eachLineReadsAsItself_shortAfterLong_andLongerThanTheReusedArray() {
    EmbeddedChannel server =
        new EmbeddedChannel(
            new LineBasedFrameDecoder(65536, true, true),
            new RequestDecoder(WireJson.bounded(65536)));
    try {
      String huge = "y".repeat(Scratch.BYTES + 100);
      String text =
          "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"" + "x".repeat(500) + "\"}\n"
              + "{\"id\":2,\"op\":\"send\",\"to\":\"al\",\"body\":\"hi\"}\n"
              + "{\"id\":3}\n"
              + "{\"id\":4,\"op\":\"send\",\"to\":\"bob\",\"body\":\"" + huge + "\"}\n"
              + "{\"id\":5,\"op\":\"ping\"}\n";
      server.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
      Inbound.Request first = server.readInbound();
      assertThat(first.body()).as("a send on the fast path has no tree").isNull();
      assertThat(first.send().body()).isEqualTo(spartan.core.MessageBody.text("x".repeat(500)));
      Inbound.Request second = server.readInbound();
      assertThat(second.id().asInt()).isEqualTo(2);
      assertThat(second.send().to()).isEqualTo(spartan.core.Recipient.user("al"));
      assertThat(second.send().body()).isEqualTo(spartan.core.MessageBody.text("hi"));
      Inbound.Malformed third = server.readInbound();
      assertThat(third.id().asInt()).isEqualTo(3);
      assertThat(third.reason()).isEqualTo("'op' is required and must be a string.");
      Inbound.Request fourth = server.readInbound();
      assertThat(fourth.send().body()).isEqualTo(spartan.core.MessageBody.text(huge));
      Inbound.Request fifth = server.readInbound();
      assertThat(fifth.body().toString()).isEqualTo("{\"id\":5,\"op\":\"ping\"}");
    } finally {
      server.finishAndReleaseAll();
    }
  }

  @Test
  void blankLinesAreSkipped() {
    assertThat(decode("\n  \r\n\t\n")).isNull();
  }

  @Test
  void corruptInputIsReportedNotThrown() {
    assertThat(malformed("hello\n")).startsWith("not valid JSON");
    assertThat(malformed("{\"id\":1,\n")).startsWith("not valid JSON");
    assertThat(malformed("{} {}\n")).contains("not valid JSON");
    assertThat(malformed("{\"a\":'single'}\n")).startsWith("not valid JSON");
    byte[] badUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
    ch.writeInbound(Unpooled.wrappedBuffer(badUtf8));
    assertThat(nextInbound()).isInstanceOf(Inbound.Malformed.class);
  }

  @Test
  void duplicateKeysAreRejected() {
    assertThat(malformed("{\"id\":1,\"op\":\"ping\",\"op\":\"info\"}\n"))
        .isEqualTo("not valid JSON: duplicate field name");
  }

  @Test
  void deepNestingLongNumbersAndLongNamesAreRejected() {
    String deep = "[".repeat(WireJson.MAX_NESTING + 1) + "]".repeat(WireJson.MAX_NESTING + 1);
    assertThat(malformed("{\"x\":" + deep + "}\n")).isEqualTo("JSON nested deeper than 16 levels");
    assertThat(malformed("{\"x\":" + "9".repeat(30) + "}\n")).isEqualTo("JSON number longer than 20 characters");
    assertThat(malformed("{\"" + "k".repeat(100) + "\":1}\n")).isEqualTo("JSON field name longer than 64 characters");
    String justDeepEnough =
        "[".repeat(WireJson.MAX_NESTING - 1) + "]".repeat(WireJson.MAX_NESTING - 1);
    assertThat(decode("{\"op\":\"ping\",\"x\":" + justDeepEnough + "}\n"))
        .isInstanceOf(Inbound.Request.class);
  }

  @Test
  void anOversizeLineFailsAsSoonAsItPassesTheLimitWithoutWaitingForItsEnd() {
    ByteBuf first = Unpooled.copiedBuffer("x".repeat(MAX + 1), StandardCharsets.US_ASCII);
    // No newline has arrived: fail-fast reports it now instead of buffering until one does.
    assertThatThrownBy(() -> ch.writeInbound(first)).isInstanceOf(TooLongFrameException.class);
    // The rest of that line is discarded, and the next line is framed normally.
    ch.writeInbound(
        Unpooled.copiedBuffer("yyyy\n{\"id\":3,\"op\":\"ping\"}\n", StandardCharsets.US_ASCII));
    assertThat(((Inbound.Request) ch.readInbound()).id().asInt()).isEqualTo(3);
  }

  @Test
  void aLineOfExactlyTheLimitIsAccepted() {
    String body = "{\"op\":\"ping\",\"s\":\"" + "a".repeat(MAX - 20) + "\"}";
    assertThat(body).hasSize(MAX);
    assertThat(decode(body + "\n")).isInstanceOf(Inbound.Request.class);
  }

  /** Each of these is refused by RFC 3629, whether the line takes the fast path or the tree. */
  @Test
  void invalidUtf8IsRefusedOnBothPaths() {
    byte[][] bad = {
      {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
      {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong '/' in three bytes
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
      {(byte) 0xC3}, // truncated
      {(byte) 0xFF},
    };
    // A well-formed send takes the fast path; the same line as a ping takes the tree.
    for (byte[] seq : bad) {
      for (String op : new String[] {"\"op\":\"send\",\"to\":\"bob\"", "\"op\":\"ping\""}) {
        byte[] head = ("{\"id\":1," + op + ",\"body\":\"a").getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[head.length + seq.length + 3];
        System.arraycopy(head, 0, line, 0, head.length);
        System.arraycopy(seq, 0, line, head.length, seq.length);
        line[line.length - 3] = '"';
        line[line.length - 2] = '}';
        line[line.length - 1] = '\n';
        ch.writeInbound(Unpooled.wrappedBuffer(line));
        Object out = ch.readInbound();
        assertThat(out).as(java.util.HexFormat.of().formatHex(seq)).isInstanceOf(Inbound.Malformed.class);
        assertThat(((Inbound.Malformed) out).reason()).isEqualTo("not valid UTF-8");
      }
    }
    String good = "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"\u00e9\u20ac\ud83d\ude00\"}\n";
    assertThat(((Inbound.Request) decode(good)).send()).isNotNull();
    String goodPing = "{\"id\":1,\"op\":\"ping\",\"body\":\"\u00e9\u20ac\ud83d\ude00\"}\n";
    assertThat(((Inbound.Request) decode(goodPing)).body()).isNotNull();
  }

  @Test
  void theEnvelopeIsCheckedHere_andEachBadLineBecomesItsError() {
    assertThat(decode("[1]\n")).isSameAs(RequestDecoder.NOT_AN_OBJECT);
    assertThat(decode("{\"id\":[1],\"op\":\"ping\"}\n")).isSameAs(RequestDecoder.BAD_ID);
    Inbound.Malformed noOp = (Inbound.Malformed) decode("{\"id\":\"a\",\"op\":7}\n");
    assertThat(noOp.id().asText()).isEqualTo("a");
    assertThat(noOp.code()).isEqualTo(WireCodes.BAD_REQUEST);
    Inbound.Malformed unknown =
        (Inbound.Malformed) decode("{\"id\":2,\"op\":\"" + "z".repeat(100) + "\"}\n");
    assertThat(unknown.code()).isEqualTo(WireCodes.UNKNOWN_OP);
    assertThat(unknown.reason()).isEqualTo("Unknown op '" + "z".repeat(40) + "…'.");
    assertThat(unknown.id().asInt()).isEqualTo(2);
  }

  @Test
  void aPongMakesNothing_andTheSameBadLineMakesTheSameValue() {
    assertThat(decode("{\"op\":\"pong\"}\n")).isNull();
    assertThat(decode("junk\n")).isSameAs(decode("more junk\n"));
  }
}
