package spartan.core.store.redis;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;

/** A message as one binary value, the same in an inbox stream and in a history stream. */
final class MessageCodec {
  private static final int VERSION = 1;

  private MessageCodec() {}

  static byte[] encode(Message m) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(96 + m.approximateBytes() / 2);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(m.id());
      out.writeUTF(m.from());
      out.writeByte(m.to() instanceof Recipient.Group ? 1 : 0);
      out.writeUTF(m.to().name());
      out.writeLong(m.sentAt().getEpochSecond());
      out.writeInt(m.sentAt().getNano());
      out.writeBoolean(m.clientMsgId() != null);
      if (m.clientMsgId() != null) {
        out.writeUTF(m.clientMsgId());
      }
      byte[] body;
      if (m.body() instanceof MessageBody.Sealed s) {
        out.writeByte(1);
        body = s.envelope();
      } else {
        out.writeByte(0);
        body = ((MessageBody.Text) m.body()).text().getBytes(StandardCharsets.UTF_8);
      }
      out.writeInt(body.length);
      out.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array never fails
    }
    return bytes.toByteArray();
  }

  static Message decode(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new IOException("unknown message version " + version);
      }
      long id = in.readLong();
      String from = in.readUTF();
      int toKind = in.readUnsignedByte();
      String toName = in.readUTF();
      Recipient to = toKind == 1 ? Recipient.group(toName) : Recipient.user(toName);
      Instant sentAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
      String clientMsgId = in.readBoolean() ? in.readUTF() : null;
      int bodyKind = in.readUnsignedByte();
      int length = in.readInt();
      if (length < 0 || length > value.length) {
        throw new IOException("bad body length " + length);
      }
      byte[] body = in.readNBytes(length);
      MessageBody b =
          bodyKind == 1
              ? MessageBody.sealed(body)
              : MessageBody.text(new String(body, StandardCharsets.UTF_8));
      return new Message(id, from, to, b, sentAt, clientMsgId);
    } catch (IOException | RuntimeException e) {
      throw new ChatException(ErrorCode.INTERNAL, "a stored message cannot be read", e);
    }
  }
}
