package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/** The connector's tree-less reading of message events and send replies. */
class ClientLinesTest {
  private static final WireJson JSON = WireJson.bounded(64 * 1024);

  private static Object fast(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return ClientLines.read(bytes, bytes.length);
  }

  private static String serverLine(ChatEvent.MessageReceived e) {
    ByteBuf b = new MessageLines().line(UnpooledByteBufAllocator.DEFAULT, e);
    try {
      return b.toString(StandardCharsets.UTF_8).trim();
    } finally {
      b.release();
    }
  }

  private static ChatEvent.MessageReceived received(Recipient to, MessageBody body, String cid) {
    Message m = new Message(42, "alice", to, body, Instant.ofEpochMilli(1_700_000_000_123L), cid);
    return new ChatEvent.MessageReceived(new Delivery(7, m));
  }

  @Test
  void readsEveryKindOfMessageEventTheServerWrites_asTheTreePathDoes() throws Exception {
    for (ChatEvent.MessageReceived e :
        new ChatEvent.MessageReceived[] {
          received(Recipient.user("bob"), MessageBody.text("hi \"there\" ✓"), null),
          received(Recipient.group("team"), MessageBody.text("all"), "c-1"),
          received(Recipient.user("bob"), MessageBody.sealed(new byte[] {1, 2, 3, (byte) 250}), null),
        }) {
      String line = serverLine(e);
      Object fast = fast(line);
      assertThat(fast).as(line).isEqualTo(e);
      assertThat(fast).isEqualTo(WireFormat.eventFrom(JSON.parse(line.getBytes(StandardCharsets.UTF_8))));
    }
  }

  @Test
  void readsASendReply_inAnyFieldOrder() {
    SendReceipt r = new SendReceipt(9, Instant.ofEpochMilli(5), true);
    assertThat(fast("{\"id\":3,\"ok\":true,\"msgId\":9,\"ts\":5,\"duplicate\":true}"))
        .isEqualTo(new ClientLines.SendOk(3, r));
    assertThat(fast("{\"duplicate\":true,\"ts\":5,\"msgId\":9,\"ok\":true,\"id\":3}"))
        .isEqualTo(new ClientLines.SendOk(3, r));
  }

  @Test
  void readsAMessageEvent_inAnyFieldOrder() {
    assertThat(fast("{\"body\":\"x\",\"ts\":1,\"to\":\"bob\",\"from\":\"al\",\"msgId\":2,\"seq\":3,\"event\":\"message\"}"))
        .isEqualTo(
            new ChatEvent.MessageReceived(
                new Delivery(
                    3,
                    new Message(2, "al", Recipient.user("bob"), MessageBody.text("x"),
                        Instant.ofEpochMilli(1), null))));
  }

  /** Anything not exactly one of the two shapes goes to the tree path, which judges it. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"x\"}}",
        "{\"id\":3,\"ok\":true,\"token\":\"t\",\"user\":\"bob\"}",
        "{\"id\":3,\"ok\":true}",
        "{\"id\":3,\"ok\":true,\"msgId\":9,\"ts\":5}",
        "{\"id\":\"3\",\"ok\":true,\"msgId\":9,\"ts\":5,\"duplicate\":false}",
        "{\"id\":3,\"ok\":true,\"msgId\":99999999999999999999,\"ts\":5,\"duplicate\":false}",
        "{\"id\":3,\"ok\":true,\"msgId\":9.5,\"ts\":5,\"duplicate\":false}",
        "{\"id\":3,\"ok\":true,\"msgId\":9,\"ts\":5,\"duplicate\":false,\"extra\":1}",
        "{\"id\":3,\"ok\":true,\"msgId\":9,\"ts\":5,\"duplicate\":false} {}",
        "{\"id\":3,\"ok\":true,\"msgId\":9,\"ts\":5,\"duplicate\":false,\"id\":4}",
        "{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"ts\":3}",
        "{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"group\":\"g\",\"body\":\"x\",\"ts\":3}",
        "{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"body\":null,\"ts\":3}",
        "{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"sealed\":\"not base64!\",\"ts\":3}",
        "{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"body\":\"x\",\"ts\":3,\"new\":{}}",
        "{\"event\":\"chat_request\",\"from\":\"a\"}",
        "{\"event\":\"stream_end\"}",
        "[1,2]",
        "\"message\"",
        "{\"id\":3,",
      })
  void leavesEverythingElseToTheTreePath(String line) {
    assertThat(fast(line)).isNull();
  }
}
