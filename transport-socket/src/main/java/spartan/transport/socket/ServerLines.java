package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.Base64;
import spartan.core.MessageBody;
import spartan.core.Recipient;

/**
 * The server's fast path for the request a busy connection sends most: a send. It is read with
 * Jackson's streaming parser straight into an {@link Operations.Request} carrying an {@link
 * Operations.Send}, without the tree {@link WireJson#parse} builds (in the throughput benchmark's
 * profile, building trees was half of the server's read path). Only a well-formed send is taken:
 * an integer or string {@code id}, {@code op} "send", exactly one of {@code to} and {@code group},
 * exactly one of {@code body} and valid base64 {@code sealed}, an optional {@code clientMsgId}, all
 * strings and nothing else. Any other line returns null and is read as a tree, so every error reply
 * still comes from one place. Stateless and thread-safe.
 */
final class ServerLines {
  private ServerLines() {}

  /**
   * The send in the object {@code p} is in, or null when it is not exactly a well-formed send; a
   * {@link WireJson.FastReader}.
   */
  static Operations.Request read(JsonParser p) throws IOException {
    JsonNode id = null;
    String op = null;
    String to = null;
    String group = null;
    String body = null;
    String sealed = null;
    String clientMsgId = null;
    int seen = 0; // a bit per field, to catch a repeated one
    for (String name; (name = p.nextFieldName()) != null; ) {
      JsonToken t = p.nextToken();
      int bit;
      if (name.equals("id")) {
        id = id(p, t);
        bit = 1;
      } else {
        if (t != JsonToken.VALUE_STRING) {
          return null;
        }
        String v = p.getText();
        switch (name) {
          case "op" -> {
            op = v;
            bit = 2;
          }
          case "to" -> {
            to = v;
            bit = 4;
          }
          case "group" -> {
            group = v;
            bit = 8;
          }
          case "body" -> {
            body = v;
            bit = 16;
          }
          case "sealed" -> {
            sealed = v;
            bit = 32;
          }
          case "clientMsgId" -> {
            clientMsgId = v;
            bit = 64;
          }
          default -> {
            return null;
          }
        }
      }
      if ((seen & bit) != 0) {
        return null;
      }
      seen |= bit;
    }
    if (id == null
        || !Op.SEND.wire.equals(op)
        || (to == null) == (group == null)
        || (body == null) == (sealed == null)) {
      return null;
    }
    Operations.Send send =
        new Operations.Send(
            group != null ? Recipient.group(group) : Recipient.user(to),
            sealed != null
                ? MessageBody.sealed(Base64.getDecoder().decode(sealed))
                : MessageBody.text(body),
            clientMsgId);
    return new Operations.Request(id, Op.SEND, null, send);
  }

  /** An id as the tree path would hold it; IllegalArgumentException for any other kind. */
  private static JsonNode id(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      return TextNode.valueOf(p.getText());
    }
    if (t == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType type = p.getNumberType();
      if (type == JsonParser.NumberType.INT) {
        return IntNode.valueOf(p.getIntValue());
      }
      if (type == JsonParser.NumberType.LONG) {
        return LongNode.valueOf(p.getLongValue());
      }
    }
    throw new IllegalArgumentException("not a plain id");
  }
}
