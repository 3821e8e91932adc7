package spartan.transport.socket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Instant;
import java.util.Base64;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/**
 * The connector's hot lines: it writes sends ({@link #sendLine}) straight into a buffer, and reads
 * the two lines a busy session receives most, message events and
 * the ok replies to sends. They are read with {@link FlatJson} straight from the frame into a
 * {@link ChatEvent.MessageReceived} or a {@link SendOk}, without the tree {@link WireJson#parse}
 * builds (building trees was a large part of the connector's event-loop time; the profile
 * is in BENCHMARKS.md). A line that is anything else, or not exactly one of these two shapes (an
 * unknown field, a null, a number that does not fit, bad base64), returns null, and the caller
 * reads it as a tree the general way; so the fast path decides nothing the tree path would decide
 * differently. Stateless and thread-safe.
 */
public final class ClientLines {
  /** An ok reply to a send: {@code {"id":…,"ok":true,"msgId":…,"ts":…,"duplicate":…}}. */
  public record SendOk(long id, SendReceipt receipt) {}

  private ClientLines() {}

  // Field indexes into NAMES, which are also the bits of the fields seen.
  private static final int ID = 0;
  private static final int OK = 1;
  private static final int SEQ = 2;
  private static final int MSG_ID = 3;
  private static final int TS = 4;
  private static final int DUPLICATE = 5;
  private static final int EVENT = 6;
  private static final int FROM = 7;
  private static final int TO = 8;
  private static final int GROUP = 9;
  private static final int BODY = 10;
  private static final int SEALED = 11;
  private static final int CLIENT_MSG_ID = 12;

  private static final byte[][] NAMES =
      FlatJson.names(
          "id", "ok", "seq", "msgId", "ts", "duplicate", "event", "from", "to", "group", "body",
          "sealed", "clientMsgId");

  /**
   * The {@link ChatEvent.MessageReceived} or {@link SendOk} in the first {@code length} bytes of
   * {@code line}, or null for any other line.
   */
  public static Object read(byte[] line, int length) {
    try {
      return read(new FlatJson(line, length));
    } catch (FlatJson.Decline | IllegalArgumentException | ChatException e) {
      return null; // the tree path judges it
    }
  }

  private static Object read(FlatJson r) {
    String event = null;
    String from = null;
    String to = null;
    String group = null;
    String body = null;
    String sealed = null;
    String clientMsgId = null;
    long id = 0;
    long seq = 0;
    long msgId = 0;
    long ts = 0;
    boolean duplicate = false;
    for (int field; (field = r.field(NAMES)) != FlatJson.END; ) { // repeated ones declined
      switch (field) {
        case ID -> id = r.integer();
        case OK -> {
          if (!r.bool()) {
            return null; // an error reply
          }
        }
        case SEQ -> seq = r.integer();
        case MSG_ID -> msgId = r.integer();
        case TS -> ts = r.integer();
        case DUPLICATE -> duplicate = r.bool();
        case EVENT -> event = r.string();
        case FROM -> from = r.string();
        case TO -> to = r.string();
        case GROUP -> group = r.string();
        case BODY -> body = r.string();
        case SEALED -> sealed = r.string();
        default -> clientMsgId = r.string();
      }
    }
    int seen = r.seen(); // which fields came: a required one cannot silently default
    if (seen == (bit(ID) | bit(OK) | bit(MSG_ID) | bit(TS) | bit(DUPLICATE))) {
      return new SendOk(id, new SendReceipt(msgId, Instant.ofEpochMilli(ts), duplicate));
    }
    int message = bit(EVENT) | bit(SEQ) | bit(MSG_ID) | bit(TS) | bit(FROM);
    int optional = bit(TO) | bit(GROUP) | bit(BODY) | bit(SEALED) | bit(CLIENT_MSG_ID);
    if (!"message".equals(event)
        || (seen & ~optional) != message
        || (to == null) == (group == null)
        || (body == null) == (sealed == null)) {
      return null;
    }
    Message m =
        new Message(
            msgId,
            from,
            group != null ? Recipient.group(group) : Recipient.user(to),
            sealed != null
                ? MessageBody.sealed(Base64.getDecoder().decode(sealed))
                : MessageBody.text(body),
            Instant.ofEpochMilli(ts),
            clientMsgId);
    return new ChatEvent.MessageReceived(new Delivery(seq, m));
  }

  private static int bit(int field) {
    return 1 << field;
  }

  // ---- what the connector writes most ---------------------------------------------------------

  private static final byte[] PONG = LineWriter.ascii("{\"op\":\"pong\"}\n");
  private static final byte[] SEND_ID = LineWriter.ascii("{\"id\":");
  private static final byte[] SEND_OP_TO = LineWriter.ascii(",\"op\":\"send\",\"to\":");
  private static final byte[] SEND_OP_GROUP = LineWriter.ascii(",\"op\":\"send\",\"group\":");
  private static final byte[] SEND_BODY = LineWriter.ascii(",\"body\":");
  private static final byte[] SEND_SEALED = LineWriter.ascii(",\"sealed\":");
  private static final byte[] SEND_CLIENT_MSG_ID = LineWriter.ascii(",\"clientMsgId\":");
  private static final byte[] SEND_END = LineWriter.ascii("}\n");

  /**
   * {@code {"id":…,"op":"send","to"|"group":…,"body"|"sealed":…[,"clientMsgId":…]}} and a newline,
   * in one buffer of exactly its size.
   */
  public static ByteBuf sendLine(
      ByteBufAllocator alloc, long id, Recipient to, MessageBody body, String clientMsgId) {
    LineWriter w = new LineWriter().raw(SEND_ID).decimal(id);
    w.raw(to instanceof Recipient.Group ? SEND_OP_GROUP : SEND_OP_TO).string(to.name());
    if (body instanceof MessageBody.Sealed s) {
      w.raw(SEND_SEALED).string(s.base64());
    } else {
      w.raw(SEND_BODY).string(((MessageBody.Text) body).text());
    }
    if (clientMsgId != null) {
      w.raw(SEND_CLIENT_MSG_ID).string(clientMsgId);
    }
    return w.raw(SEND_END).toBuffer(alloc);
  }

  /** The answer to the server's keep-alive {@code ping}: {@code {"op":"pong"}} and a newline. */
  public static ByteBuf pong() {
    return Unpooled.wrappedBuffer(PONG);
  }
}
