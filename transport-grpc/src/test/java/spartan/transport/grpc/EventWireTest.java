package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.proto.v1.ChatProto;

class EventWireTest {
  private final EventWire wire = new EventWire();

  private static Message message(Recipient to, MessageBody body, String clientMsgId) {
    return new Message(42, "alice", to, body, Instant.ofEpochMilli(1_767_225_600_123L), clientMsgId);
  }

  private static ChatEvent.MessageReceived event(Message m, long seq) {
    return new ChatEvent.MessageReceived(new Delivery(seq, m));
  }

  @Test
  void anEncodedEventIsByteForByteTheSerialisedProtoEvent() throws Exception {
    Message[] all = {
      message(Recipient.user("bob"), MessageBody.text("Hey Bob! \u00e9\u2603"), null),
      message(Recipient.group("team"), MessageBody.text("standup"), "c-1"),
      message(Recipient.user("bob"), MessageBody.sealed(new byte[] {1, 2, 3, (byte) 0xff}), null),
    };
    for (Message m : all) {
      for (long seq : new long[] {1, 127, 128, 1L << 40}) {
        byte[] bytes;
        try (InputStream in = EventWire.MARSHALLER.stream(wire.message(event(m, seq)))) {
          bytes = in.readAllBytes(); // the byte-at-a-time path
        }
        assertThat(bytes).isEqualTo(ProtoMapping.event(event(m, seq)).toByteArray());
        try (InputStream in = EventWire.MARSHALLER.stream(wire.message(event(m, seq)))) {
          ChatProto.Event back = (ChatProto.Event) EventWire.MARSHALLER.parse(in);
          assertThat(ProtoMapping.eventOrNull(back)).isEqualTo(event(m, seq));
        }
      }
    }
  }

  @Test
  void aGroupMessageIsSerialisedOnceForAllItsMembers() {
    Message m = message(Recipient.group("team"), MessageBody.text("to all"), null);
    for (long seq = 1; seq <= 1000; seq++) {
      wire.message(event(m, seq));
    }
    assertThat(wire.encodings()).isEqualTo(1);
    Message direct = message(Recipient.user("bob"), MessageBody.text("hi"), null);
    wire.message(event(direct, 1));
    wire.message(event(direct, 2));
    assertThat(wire.encodings()).as("direct messages are not cached").isEqualTo(3);
  }

  @Test
  void theStreamDrainsHeadAndBodyIntoGrpcsBuffer() throws Exception {
    Message m = message(Recipient.group("team"), MessageBody.text("x".repeat(500)), null);
    EventWire.Encoded e = wire.message(event(m, 300));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (InputStream in = EventWire.MARSHALLER.stream(e)) {
      assertThat(in.available()).isEqualTo(e.length());
      assertThat(((io.grpc.Drainable) in).drainTo(out)).isEqualTo(e.length());
      assertThat(in.available()).isZero();
    }
    assertThat(out.toByteArray()).isEqualTo(ProtoMapping.event(event(m, 300)).toByteArray());
  }

  @Test
  void plainEventsGoThroughTheSameMarshaller() throws Exception {
    ChatProto.Event started = ProtoMapping.STARTED;
    try (InputStream in = EventWire.MARSHALLER.stream(started)) {
      assertThat(EventWire.MARSHALLER.parse(in)).isEqualTo(started);
    }
  }
}
