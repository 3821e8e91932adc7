package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

class MessageLinesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final MessageLines lines = new MessageLines();

  private static Message message(Recipient to, MessageBody body, String clientMsgId) {
    return new Message(
        42, "alice", to, body, Instant.ofEpochMilli(1_767_225_600_000L), clientMsgId);
  }

  /** {@code tree} and a newline, as the general (tree) path writes it. */
  private static String treeLine(JsonNode tree) {
    ByteBuf b = WireJson.bounded(65536).line(UnpooledByteBufAllocator.DEFAULT, tree);
    try {
      return b.toString(StandardCharsets.UTF_8);
    } finally {
      b.release();
    }
  }

  private String line(Message m, long seq) {
    ByteBuf b = lines.line(UnpooledByteBufAllocator.DEFAULT, new ChatEvent.MessageReceived(new Delivery(seq, m)));
    try {
      return b.toString(StandardCharsets.UTF_8);
    } finally {
      b.release();
    }
  }

  @Test
  void aLineIsTheSameJsonAsTheTreeEncodingFieldForField() throws Exception {
    Message[] all = {
      message(Recipient.user("bob"), MessageBody.text("Hey \"Bob\" \u00e9\u2603\n"), null),
      message(Recipient.group("team"), MessageBody.text("standup"), "c-1"),
      message(Recipient.user("bob"), MessageBody.sealed(new byte[] {1, 2, 3, (byte) 0xff}), null),
    };
    for (Message m : all) {
      String line = line(m, 7);
      assertThat(line).endsWith("}\n").doesNotContain("\n}");
      JsonNode tree = WireFormat.event(new ChatEvent.MessageReceived(new Delivery(7, m)));
      assertThat(line).isEqualTo(treeLine(tree));
    }
  }

  @Test
  void aGroupMessageIsEncodedOnceForAllItsMembers() throws Exception {
    Message m = message(Recipient.group("team"), MessageBody.text("to all"), null);
    for (long seq = 1; seq <= 1000; seq++) {
      assertThat(JSON.readTree(line(m, seq)).get("seq").asLong()).isEqualTo(seq);
    }
    assertThat(lines.encodings()).isEqualTo(1);
    line(message(Recipient.group("team"), MessageBody.text("to all"), null), 1);
    assertThat(lines.encodings()).as("another message, equal but not the same").isEqualTo(2);
  }

  @Test
  void directMessagesAreNotCached() {
    Message m = message(Recipient.user("bob"), MessageBody.text("hi"), null);
    line(m, 1);
    line(m, 2);
    assertThat(lines.encodings()).isEqualTo(2);
  }

  @Test
  void aSendReplyIsWrittenDirectlyForStringAndLongIdsOnly() {
    SendReceipt r = new SendReceipt(42, Instant.ofEpochMilli(1_767_225_600_000L), false);
    ByteBuf b = lines.sendReply(UnpooledByteBufAllocator.DEFAULT, IntNode.valueOf(5), r);
    assertThat(b.toString(StandardCharsets.UTF_8))
        .isEqualTo("{\"id\":5,\"ok\":true,\"msgId\":42,\"ts\":1767225600000,\"duplicate\":false}\n");
    b.release();
    b = lines.sendReply(UnpooledByteBufAllocator.DEFAULT, TextNode.valueOf("a\"b"), r);
    assertThat(b.toString(StandardCharsets.UTF_8)).startsWith("{\"id\":\"a\\\"b\",\"ok\":true,");
    b.release();
    assertThat(lines.sendReply(UnpooledByteBufAllocator.DEFAULT, DecimalNode.valueOf(new BigDecimal("1e400")), r))
        .as("echoed exactly by the general path").isNull();
  }
}
