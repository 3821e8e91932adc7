package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.atomic.LongAdder;
import spartan.core.ChatEvent;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/**
 * Encodes the server's hottest lines, message events and send replies, straight to bytes with
 * {@link LineWriter}, each in one buffer of its exact size, and a group message only once for all
 * its members. Every member's line differs only in its inbox {@code seq}, so a line is a short
 * per-member head, {@code {"event":"message","seq":N,}, followed by the message's fields, encoded
 * once and shared: the tail of a group message is cached, keyed by the identity of the core's
 * {@link Message} (every member's live delivery of one send carries the same instance, as {@link
 * spartan.core.Delivery} guarantees), so a message to a group of 1,000 is serialised once, not
 * 1,000 times. Direct messages have one recipient and skip the cache. The lines are the JSON
 * {@link WireFormat} writes through a tree, field for field. Thread-safe.
 */
public final class MessageLines {
  /** Group messages whose encoding is kept; fan-out reuses one within moments of the send. */
  public static final int CACHED_GROUP_MESSAGES = 4096;

  private static final byte[] HEAD = LineWriter.ascii("{\"event\":\"message\",\"seq\":");
  private static final byte[] MSG_ID = LineWriter.ascii(",\"msgId\":");
  private static final byte[] FROM = LineWriter.ascii(",\"from\":");
  private static final byte[] TO = LineWriter.ascii(",\"to\":");
  private static final byte[] GROUP = LineWriter.ascii(",\"group\":");
  private static final byte[] BODY = LineWriter.ascii(",\"body\":");
  private static final byte[] SEALED = LineWriter.ascii(",\"sealed\":");
  private static final byte[] TS = LineWriter.ascii(",\"ts\":");
  private static final byte[] CLIENT_MSG_ID = LineWriter.ascii(",\"clientMsgId\":");
  private static final byte[] ID = LineWriter.ascii("{\"id\":");
  private static final byte[] OK = LineWriter.ascii(",\"ok\":true,\"msgId\":");
  private static final byte[] DUPLICATE = LineWriter.ascii(",\"duplicate\":");
  private static final byte[] TRUE_END = LineWriter.ascii("true}\n");
  private static final byte[] FALSE_END = LineWriter.ascii("false}\n");
  private static final byte[] END = LineWriter.ascii("}\n");

  private final LongAdder encoded = new LongAdder();
  private final Cache<Message, byte[]> groupTails =
      Caffeine.newBuilder().weakKeys().maximumSize(CACHED_GROUP_MESSAGES).build();

  /** The complete line for {@code e}, newline included. */
  public ByteBuf line(ByteBufAllocator alloc, ChatEvent.MessageReceived e) {
    Message m = e.message();
    if (!(m.to() instanceof Recipient.Group)) {
      // One recipient: straight into the socket's buffer, the same bytes as head and tail.
      encoded.increment();
      LineWriter w = new LineWriter().raw(HEAD).decimal(e.seq());
      return writeTail(w, m).toBuffer(alloc);
    }
    byte[] tail = groupTails.get(m, MessageLines.this::tail); // before the line's own writer
    return new LineWriter().raw(HEAD).decimal(e.seq()).raw(tail).toBuffer(alloc);
  }

  /** The message's fields as bytes, for every member of a group. */
  private byte[] tail(Message m) {
    encoded.increment();
    return writeTail(new LineWriter(), m).bytes();
  }

  /**
   * Everything of a message event after its {@code seq}: {@code ,"msgId":…,…}} and a newline, in
   * the field order of {@link WireFormat#message}.
   */
  private static LineWriter writeTail(LineWriter w, Message m) {
    w.raw(MSG_ID).decimal(m.id());
    w.raw(FROM).string(m.from());
    w.raw(m.to() instanceof Recipient.Group ? GROUP : TO).string(m.to().name());
    if (m.body() instanceof MessageBody.Sealed s) {
      w.raw(SEALED).string(s.base64());
    } else {
      w.raw(BODY).string(((MessageBody.Text) m.body()).text());
    }
    w.raw(TS).decimal(m.sentAt().toEpochMilli());
    if (m.clientMsgId() != null) {
      w.raw(CLIENT_MSG_ID).string(m.clientMsgId());
    }
    return w.raw(END);
  }

  /**
   * The ok reply to a send, {@code {"id":…,"ok":true,"msgId":…,"ts":…,"duplicate":…}} and a
   * newline; null for an id that is neither a string nor an integer that fits a long (the caller
   * then writes the reply the general way, which echoes any JSON number).
   */
  public ByteBuf sendReply(ByteBufAllocator alloc, JsonNode id, SendReceipt r) {
    boolean textId = id.isTextual();
    if (!textId && !(id.isIntegralNumber() && id.canConvertToLong())) {
      return null;
    }
    LineWriter w = new LineWriter().raw(ID);
    if (textId) {
      w.string(id.textValue());
    } else {
      w.decimal(id.longValue());
    }
    w.raw(OK).decimal(r.msgId()).raw(TS).decimal(r.sentAt().toEpochMilli()).raw(DUPLICATE);
    return w.raw(r.duplicate() ? TRUE_END : FALSE_END).toBuffer(alloc);
  }

  /** How many message encodings were made, for tests and metrics. */
  public long encodings() {
    return encoded.sum();
  }
}
