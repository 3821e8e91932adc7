package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import spartan.core.MessageBody;
import spartan.core.Recipient;

/**
 * What the server's {@link RequestDecoder} makes of one line: a request whose envelope ({@code
 * id}, {@code op}) is checked, or a line the server answers with an error without running
 * anything. A {@code pong} and a blank line make nothing.
 */
public sealed interface Inbound {
  /**
   * One request, its envelope checked: its fields as a tree, or for a send the fast path read
   * ({@link ServerLines}), already as a {@link Send} and no tree.
   */
  record Request(JsonNode id, Op op, ObjectNode body, Send send) implements Inbound {
    public Request(JsonNode id, Op op, ObjectNode body) {
      this(id, op, body, null);
    }
  }

  /**
   * A line answered with an error and nothing run: not JSON, not an object, a bad {@code id}, no or
   * an unknown {@code op}. {@code id} is the line's id when it had a usable one, else JSON null;
   * {@code reason} is one of a few fixed texts or quotes at most a short prefix of the op, so a
   * client sending junk never gets back more than it sent.
   */
  record Malformed(JsonNode id, String code, String reason) implements Inbound {}

  /** A send's arguments. */
  record Send(Recipient to, MessageBody body, String clientMsgId) {
    public static Send from(Fields f) {
      return new Send(f.recipient("to"), f.body(), f.optString("clientMsgId"));
    }
  }
}
