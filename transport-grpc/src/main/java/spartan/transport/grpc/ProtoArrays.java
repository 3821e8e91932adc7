package spartan.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Protobuf messages handed to gRPC as one exactly sized array. grpc-java's own protobuf
 * marshaller streams a message with {@code writeTo(OutputStream)}, and protobuf's stream encoder
 * then allocates a buffer per message and, for every string longer than a third of that buffer
 * (a message body, always), a second array to encode the string in. {@code toByteArray()}
 * encodes straight into one array of the serialised size, so a message costs one array. The
 * profile and the allocation per message, before and after, are in BENCHMARKS.md. Parsing is
 * protobuf's.
 */
final class ProtoArrays {
  private ProtoArrays() {}

  /**
   * A marshaller for {@code T} that writes through one array and otherwise is protobuf's: it
   * parses with it and, like it, names its prototype (so tooling that looks for a {@link
   * MethodDescriptor.PrototypeMarshaller}, this class's {@link #arrayResponses} included, still
   * finds the message type).
   */
  static <T extends Message> MethodDescriptor.PrototypeMarshaller<T> marshaller(T defaultInstance) {
    MethodDescriptor.Marshaller<T> proto = ProtoUtils.marshaller(defaultInstance);
    return new MethodDescriptor.PrototypeMarshaller<>() {
      @Override
      public InputStream stream(T value) {
        return ProtoArrays.stream(value.toByteArray(), ByteString.EMPTY);
      }

      @Override
      public T parse(InputStream stream) {
        return proto.parse(stream);
      }

      @Override
      public T getMessagePrototype() {
        return defaultInstance;
      }

      @Override
      @SuppressWarnings("unchecked") // a generated message's class is final: exactly T
      public Class<T> getMessageClass() {
        return (Class<T>) defaultInstance.getClass();
      }
    };
  }

  /**
   * {@code method} with its responses written through one array each (every generated method's
   * responses are protobuf messages); the handler is the same.
   */
  @SuppressWarnings("unchecked")
  static <Q, R> ServerMethodDefinition<Q, R> arrayResponses(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> d = method.getMethodDescriptor();
    if (!(d.getResponseMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<R> p)
        || !(p.getMessagePrototype() instanceof Message prototype)) {
      return method;
    }
    MethodDescriptor.Marshaller<R> arrays =
        (MethodDescriptor.Marshaller<R>) marshaller(prototype);
    return ServerMethodDefinition.create(
        d.toBuilder(d.getRequestMarshaller(), arrays).build(), method.getServerCallHandler());
  }

  /**
   * {@code head} then {@code body}, as gRPC's framer wants a message: known length and drainable,
   * as protobuf's own streams are, so the framer has both written straight into its buffer
   * (without {@link Drainable} it copies through a fresh 8 KiB array per message).
   */
  static InputStream stream(byte[] head, ByteString body) {
    return new Bytes(head, body);
  }

  private static final class Bytes extends InputStream implements KnownLength, Drainable {
    private final byte[] head;
    private final ByteString body;
    private int pos;

    Bytes(byte[] head, ByteString body) {
      this.head = head;
      this.body = body;
    }

    private int length() {
      return head.length + body.size();
    }

    @Override
    public int available() {
      return length() - pos;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = available();
      if (pos == 0) {
        target.write(head);
        body.writeTo(target);
      } else {
        for (int i = pos; i < length(); i++) {
          target.write(byteAt(i));
        }
      }
      pos = length();
      return n;
    }

    @Override
    public int read() {
      if (pos >= length()) {
        return -1;
      }
      return byteAt(pos++) & 0xff;
    }

    private byte byteAt(int i) {
      return i < head.length ? head[i] : body.byteAt(i - head.length);
    }
  }
}
