package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;

/** The connector's reply decoder on an EmbeddedChannel. */
class ReplyDecoderTest {
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          new LineBasedFrameDecoder(1024, true, true), new ReplyDecoder(WireJson.bounded(1024)));

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private Object decode(String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    return ch.readInbound();
  }

  @Test
  void theHotLinesSkipTheTree_andTheRestAreObjects() {
    assertThat(decode("{\"event\":\"message\",\"seq\":1,\"msgId\":2,\"from\":\"a\",\"to\":\"b\",\"body\":\"x\",\"ts\":3}\n"))
        .isInstanceOf(ChatEvent.MessageReceived.class);
    assertThat(decode("{\"id\":1,\"ok\":true,\"msgId\":2,\"ts\":3,\"duplicate\":false}\n"))
        .isInstanceOf(ClientLines.SendOk.class);
    assertThat(decode("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"x\"}}\n"))
        .isInstanceOf(ObjectNode.class);
  }

  @Test
  void aLineThatIsNotAnObjectIsDropped() {
    assertThat(decode("[1,2]\n")).isNull();
    assertThat(decode("not json\n")).isNull();
    assertThat(decode("{\"event\":\"ping\"}\n")).isInstanceOf(ObjectNode.class);
  }
}
