package spartan.transport.grpc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.LongAdder;
import spartan.core.ChatEvent;
import spartan.core.Message;
import spartan.core.Recipient;
import spartan.proto.v1.ChatProto;

/**
 * Message events in their wire form, a group message serialised once for all its members. An
 * {@code Event} carrying a message is {@code Event{message: Delivery{seq, message: Message}}};
 * members' events differ only in {@code seq}, so the {@code Message} is serialised once and each
 * member's event is a few bytes of head spliced onto it (protobuf encodes a message field as its
 * bytes, so the result is byte for byte what serialising the whole {@code Event} gives). Group
 * messages are cached by the identity of the core's {@link Message}, which every member's live
 * delivery of one send shares (as {@link spartan.core.Delivery} guarantees); direct messages skip
 * the cache. The {@code ReceiveMsg} call writes these
 * through {@link #MARSHALLER}, which takes either this form or a plain {@code ChatProto.Event}.
 * Thread-safe.
 */
final class EventWire {
  /** Group messages whose encoding is kept; fan-out reuses one within moments of the send. */
  static final int CACHED_GROUP_MESSAGES = 4096;

  /**
   * One event, already serialised: {@code head} (the event's and the delivery's framing and the
   * {@code seq}, a few bytes per member) followed by {@code body}, the shared serialised message.
   */
  record Encoded(byte[] head, ByteString body) {
    int length() {
      return head.length + body.size();
    }
  }

  private static final MethodDescriptor.Marshaller<ChatProto.Event> PROTO =
      ProtoArrays.marshaller(ChatProto.Event.getDefaultInstance());

  /** The response marshaller of the server's {@code ReceiveMsg}: an {@link Encoded} or an Event. */
  static final MethodDescriptor.Marshaller<Object> MARSHALLER =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(Object value) {
          return value instanceof Encoded e
              ? ProtoArrays.stream(e.head(), e.body())
              : PROTO.stream((ChatProto.Event) value);
        }

        @Override
        public Object parse(InputStream stream) {
          return PROTO.parse(stream);
        }
      };

  private final Cache<Message, ByteString> groupMessages =
      Caffeine.newBuilder().weakKeys().maximumSize(CACHED_GROUP_MESSAGES).build();
  private final LongAdder encoded = new LongAdder();

  /**
   * What the call writes for {@code e}: a group message as an {@link Encoded} event around its
   * shared serialisation; anything else, a direct message included (it has one recipient), as a
   * plain {@code ChatProto.Event}, which {@link #MARSHALLER} serialises into one array.
   */
  Object event(ChatEvent e) {
    return e instanceof ChatEvent.MessageReceived m && m.message().to() instanceof Recipient.Group
        ? message(m)
        : ProtoMapping.event(e);
  }

  /** The serialised size of what {@link #event} returned. */
  static int size(Object event) {
    return event instanceof Encoded e
        ? e.length()
        : ((ChatProto.Event) event).getSerializedSize();
  }

  /** {@code e} as the bytes of a {@code ChatProto.Event}. */
  Encoded message(ChatEvent.MessageReceived e) {
    Message m = e.message();
    ByteString body =
        m.to() instanceof Recipient.Group ? groupMessages.get(m, this::serialise) : serialise(m);
    int delivery =
        CodedOutputStream.computeInt64Size(1, e.seq()) + CodedOutputStream.computeBytesSize(2, body);
    int bodyFraming = CodedOutputStream.computeTagSize(2) + CodedOutputStream.computeUInt32SizeNoTag(body.size());
    byte[] head =
        new byte
            [CodedOutputStream.computeTagSize(2)
                + CodedOutputStream.computeUInt32SizeNoTag(delivery)
                + CodedOutputStream.computeInt64Size(1, e.seq())
                + bodyFraming];
    CodedOutputStream c = CodedOutputStream.newInstance(head);
    try {
      c.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED); // Event.message
      c.writeUInt32NoTag(delivery);
      c.writeInt64(1, e.seq()); // Delivery.seq
      c.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED); // Delivery.message, then its bytes
      c.writeUInt32NoTag(body.size());
      c.checkNoSpaceLeft();
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible); // the array was sized exactly
    }
    return new Encoded(head, body);
  }

  /** How many messages were serialised, for tests and metrics. */
  long encodings() {
    return encoded.sum();
  }

  private ByteString serialise(Message m) {
    encoded.increment();
    return ProtoMapping.message(m).toByteString();
  }
}
