package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/** The server's reply encoder on an EmbeddedChannel: each {@link Outbound} is one exact line. */
class ReplyEncoderTest {
  private static final WireJson JSON = WireJson.bounded(1024);
  private final MessageLines lines = new MessageLines();
  private final EmbeddedChannel ch = new EmbeddedChannel(new ReplyEncoder(JSON, lines));

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private String encode(Outbound o) {
    ch.writeOutbound(o);
    ByteBuf out = ch.readOutbound();
    try {
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      out.release();
    }
  }

  @Test
  void anOkReplyEchoesTheIdThenTheResult_andEscapesNewlinesInStrings() {
    Outbound.Ok ok =
        new Outbound.Ok(TextNode.valueOf("a"), WireJson.object().put("body", "two\nlines").put("ü", "ß"));
    assertThat(encode(ok)).isEqualTo("{\"id\":\"a\",\"ok\":true,\"body\":\"two\\nlines\",\"ü\":\"ß\"}\n");
  }

  @Test
  void aSendReplyIsTheSameLineOnTheFastPathAndThroughATree() {
    SendReceipt r = new SendReceipt(7, Instant.ofEpochMilli(1000), false);
    assertThat(encode(new Outbound.Sent(IntNode.valueOf(3), r)))
        .isEqualTo("{\"id\":3,\"ok\":true,\"msgId\":7,\"ts\":1000,\"duplicate\":false}\n");
    // An id that is not an integer is echoed exactly, through the tree.
    assertThat(encode(new Outbound.Sent(DecimalNode.valueOf(new BigDecimal("1.5")), r)))
        .isEqualTo("{\"id\":1.5,\"ok\":true,\"msgId\":7,\"ts\":1000,\"duplicate\":false}\n");
  }

  @Test
  void errorRepliesAndStreamEndsShareTheirFields() {
    assertThat(encode(Outbound.ErrorReply.of(IntNode.valueOf(1), ChatException.rateLimited(Duration.ofMillis(250)))))
        .startsWith("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"rate_limited\",\"message\":")
        .endsWith(",\"retryAfterMs\":250}}\n");
    assertThat(encode(new Outbound.ErrorReply(NullNode.getInstance(), WireCodes.BAD_REQUEST, "no")))
        .isEqualTo("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"no\"}}\n");
    assertThat(encode(Outbound.StreamEnd.of(ChatException.unavailable("bye"))))
        .isEqualTo("{\"event\":\"stream_end\",\"code\":\"unavailable\",\"message\":\"bye\"}\n");
    assertThat(encode(Outbound.StreamEnd.NORMAL)).isEqualTo("{\"event\":\"stream_end\"}\n");
    assertThat(encode(Outbound.PING)).isEqualTo("{\"event\":\"ping\"}\n");
  }

  @Test
  void eventsAreTheTreePathsLines_andAGroupMessageIsEncodedOnceForItsMembers() {
    Message m =
        new Message(5, "alice", Recipient.group("team"), MessageBody.text("hi"), Instant.ofEpochMilli(9), null);
    String first = encode(new Outbound.Pushed(new ChatEvent.MessageReceived(new Delivery(1, m))));
    String second = encode(new Outbound.Pushed(new ChatEvent.MessageReceived(new Delivery(2, m))));
    assertThat(first).isEqualTo(WireFormat.event(new ChatEvent.MessageReceived(new Delivery(1, m))) + "\n");
    assertThat(second).contains("\"seq\":2");
    assertThat(lines.encodings()).isEqualTo(1);
    assertThat(encode(new Outbound.Pushed(new ChatEvent.ChatRequested("bob"))))
        .isEqualTo("{\"event\":\"chat_request\",\"from\":\"bob\"}\n");
  }
}
