package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import spartan.core.ChatEvent;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/**
 * Encodes the server's hottest lines, message events and send replies, straight to bytes, and a group message only
 * once for all its members. Every member's line differs only in its inbox {@code seq}, so a line
 * is a short per-member head, {@code {"event":"message","seq":N,}, followed by the message's
 * fields, encoded once and shared: the tail of a group message is cached, keyed by the identity of
 * the core's {@link Message} (every member's delivery of one send carries the same instance), so a
 * message to a group of 1,000 is serialised once, not 1,000 times. Direct messages have one
 * recipient and skip the cache. Thread-safe.
 */
final class MessageLines {
  /** Group messages whose encoding is kept; fan-out reuses one within moments of the send. */
  static final int CACHED_GROUP_MESSAGES = 4096;

  private static final byte[] HEAD = "{\"event\":\"message\",\"seq\":".getBytes(StandardCharsets.US_ASCII);

  private final WireJson json;
  private final LongAdder encoded = new LongAdder();
  private final Cache<Message, byte[]> groupTails =
      Caffeine.newBuilder().weakKeys().maximumSize(CACHED_GROUP_MESSAGES).build();

  MessageLines(WireJson json) {
    this.json = json;
  }

  /** The complete line for {@code e}, newline included. */
  ByteBuf line(ByteBufAllocator alloc, ChatEvent.MessageReceived e) {
    Message m = e.message();
    if (!(m.to() instanceof Recipient.Group)) {
      // One recipient: straight into the socket's buffer, the same bytes as head and tail.
      encoded.increment();
      return json.line(
          alloc,
          g -> {
            g.writeStringField("event", "message");
            g.writeNumberField("seq", e.seq());
            g.writeNumberField("msgId", m.id());
            writeMessageFields(g, m);
          });
    }
    byte[] tail = groupTails.get(m, k -> tail(alloc, k));
    ByteBuf out = alloc.buffer(HEAD.length + 21 + tail.length);
    out.writeBytes(HEAD);
    writeDecimal(out, e.seq());
    out.writeByte(',');
    out.writeBytes(tail);
    return out;
  }

  /**
   * The message's fields as {@code "msgId":…,…}} and a newline: a JSON object without its opening
   * brace, in the field order of {@link WireFormat#message}.
   */
  private byte[] tail(ByteBufAllocator alloc, Message m) {
    encoded.increment();
    ByteBuf line =
        json.line(
            alloc,
            g -> {
              g.writeNumberField("msgId", m.id());
              writeMessageFields(g, m);
            });
    try {
      byte[] tail = new byte[line.readableBytes() - 1]; // without the '{'
      line.getBytes(line.readerIndex() + 1, tail);
      return tail;
    } finally {
      line.release();
    }
  }

  /**
   * The ok reply to a send, {@code {"id":…,"ok":true,"msgId":…,"ts":…,"duplicate":…}} and a
   * newline, written without a tree; null for an id that is neither a string nor an integer that
   * fits a long (the caller then writes the reply the general way, which echoes any JSON number).
   */
  ByteBuf sendReply(ByteBufAllocator alloc, JsonNode id, SendReceipt r) {
    boolean plainId = id.isTextual() || (id.isIntegralNumber() && id.canConvertToLong());
    if (!plainId) {
      return null;
    }
    return json.line(
        alloc,
        g -> {
          if (id.isTextual()) {
            g.writeStringField("id", id.textValue());
          } else {
            g.writeNumberField("id", id.longValue());
          }
          g.writeBooleanField("ok", true);
          g.writeNumberField("msgId", r.msgId());
          g.writeNumberField("ts", r.sentAt().toEpochMilli());
          g.writeBooleanField("duplicate", r.duplicate());
        });
  }

  /** How many message encodings were made, for tests and metrics. */
  long encodings() {
    return encoded.sum();
  }

  /** Everything of {@code m} after its id, as {@link WireFormat#message} writes it. */
  static void writeMessageFields(JsonGenerator g, Message m) throws IOException {
    g.writeStringField("from", m.from());
    g.writeStringField(m.to() instanceof Recipient.Group ? "group" : "to", m.to().name());
    if (m.body() instanceof MessageBody.Sealed s) {
      g.writeStringField("sealed", s.base64());
    } else {
      g.writeStringField("body", ((MessageBody.Text) m.body()).text());
    }
    g.writeNumberField("ts", m.sentAt().toEpochMilli());
    if (m.clientMsgId() != null) {
      g.writeStringField("clientMsgId", m.clientMsgId());
    }
  }

  private static void writeDecimal(ByteBuf out, long v) {
    out.writeCharSequence(Long.toString(v), StandardCharsets.US_ASCII);
  }
}
