package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;

/** Each JMH benchmark of the wire codec once, so a codec change that breaks one fails the build. */
class WireCodecBenchmarkTest {

  @Test
  void everyBenchmarkParsesOrWritesItsLine() throws Exception {
    WireCodecBenchmark b = new WireCodecBenchmark();
    b.setUp();
    assertThat(b.parseSendRequestTree().get("op").asText()).isEqualTo("send");
    assertThat(b.parseSendRequestHand()).isNotNull();
    assertThat(b.parseMessageEventTree()).isInstanceOf(ChatEvent.MessageReceived.class);
    assertThat(b.parseMessageEventHand()).isNotNull();
    assertThat(b.parseSendReplyTree().msgId()).isEqualTo(98765);
    assertThat(b.parseSendReplyHand()).isNotNull();
    assertThat(b.writeMessageEventHand()).isPositive();
    assertThat(b.writeSendReplyHand()).isPositive();
    assertThat(b.writeSendRequestHand()).isPositive();
    assertThat(b.allocateEventSizedBuffer()).isEqualTo(b.writeMessageEventTree());
  }
}
