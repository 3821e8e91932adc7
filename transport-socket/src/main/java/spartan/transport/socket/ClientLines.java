package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/**
 * The connector's fast path for the two lines a busy session receives most: message events and
 * the ok replies to sends. They are read with Jackson's streaming parser straight into a {@link
 * ChatEvent.MessageReceived} or a {@link SendOk}, without the tree {@link WireJson#parse} builds
 * (in the throughput benchmark's profile, building trees was a third of the connector's event-loop
 * time). A line that is anything else, or not exactly one of these two shapes (an unknown field, a
 * null, a number that does not fit a long, bad base64), returns null, and the caller reads it as a
 * tree the general way; so the fast path decides nothing the tree path would decide differently.
 * Stateless and thread-safe.
 */
final class ClientLines {
  /** An ok reply to a send: {@code {"id":…,"ok":true,"msgId":…,"ts":…,"duplicate":…}}. */
  record SendOk(long id, SendReceipt receipt) {}

  private ClientLines() {}

  /**
   * A {@link ChatEvent.MessageReceived} or a {@link SendOk} from the object {@code p} is in, or
   * null when it is not exactly one of the two; a {@link WireJson.FastReader}.
   */
  static Object read(JsonParser p) throws IOException {
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
    // Bits of the fields seen: a required one cannot silently default, a repeated one is caught.
    int seen = 0;
    boolean duplicate = false;
    for (String name; (name = p.nextFieldName()) != null; ) {
      JsonToken t = p.nextToken();
      int bit =
          switch (name) {
            case "event" -> {
              event = string(p, t);
              yield EVENT;
            }
            case "from" -> {
              from = string(p, t);
              yield FROM;
            }
            case "to" -> {
              to = string(p, t);
              yield TO;
            }
            case "group" -> {
              group = string(p, t);
              yield GROUP;
            }
            case "body" -> {
              body = string(p, t);
              yield BODY;
            }
            case "sealed" -> {
              sealed = string(p, t);
              yield SEALED;
            }
            case "clientMsgId" -> {
              clientMsgId = string(p, t);
              yield CLIENT_MSG_ID;
            }
            case "id" -> {
              id = integer(p, t);
              yield ID;
            }
            case "seq" -> {
              seq = integer(p, t);
              yield SEQ;
            }
            case "msgId" -> {
              msgId = integer(p, t);
              yield MSG_ID;
            }
            case "ts" -> {
              ts = integer(p, t);
              yield TS;
            }
            case "ok" -> t == JsonToken.VALUE_TRUE ? OK : 0;
            case "duplicate" -> {
              duplicate = t == JsonToken.VALUE_TRUE;
              yield duplicate || t == JsonToken.VALUE_FALSE ? DUPLICATE : 0;
            }
            default -> 0;
          };
      if (bit == 0 || (seen & bit) != 0) {
        return null; // an unknown or repeated field, or a value of the wrong kind
      }
      seen |= bit;
    }
    if (seen == (ID | OK | MSG_ID | TS | DUPLICATE)) {
      return new SendOk(id, new SendReceipt(msgId, Instant.ofEpochMilli(ts), duplicate));
    }
    int message = EVENT | SEQ | MSG_ID | TS | FROM;
    if (!"message".equals(event)
        || (seen & ~(TO | GROUP | BODY | SEALED | CLIENT_MSG_ID)) != message
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

  private static final int ID = 1;
  private static final int OK = 2;
  private static final int SEQ = 4;
  private static final int MSG_ID = 8;
  private static final int TS = 16;
  private static final int DUPLICATE = 32;
  private static final int EVENT = 64;
  private static final int FROM = 128;
  private static final int TO = 256;
  private static final int GROUP = 512;
  private static final int BODY = 1024;
  private static final int SEALED = 2048;
  private static final int CLIENT_MSG_ID = 4096;

  // A value of the wrong type is not the fast path's to judge: IllegalArgumentException sends the
  // line to the tree path, which reports it.
  private static String string(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_STRING) {
      throw new IllegalArgumentException("not a string");
    }
    return p.getText();
  }

  private static long integer(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw new IllegalArgumentException("not an integer");
    }
    JsonParser.NumberType type = p.getNumberType();
    if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
      throw new IllegalArgumentException("does not fit a long");
    }
    return p.getLongValue();
  }
}
