package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Base64;
import spartan.core.ChatException;
import spartan.core.MessageBody;
import spartan.core.Recipient;

/**
 * The server's fast path for the request a busy connection sends most: a send. It is read with
 * {@link FlatJson} straight from the frame into an {@link Inbound.Request} carrying an {@link
 * Inbound.Send}, without the tree {@link WireJson#parse} builds (building trees was the largest
 * part of the server's read path; the profile is in BENCHMARKS.md). Only a well-formed send is taken:
 * an integer or string {@code id}, {@code op} "send", exactly one of {@code to} and {@code group},
 * exactly one of {@code body} and valid base64 {@code sealed}, an optional {@code clientMsgId}, all
 * strings and nothing else. Any other line returns null and is read as a tree, so every error reply
 * still comes from one place. Stateless and thread-safe.
 */
public final class ServerLines {
  private static final byte[][] NAMES =
      FlatJson.names("id", "op", "to", "group", "body", "sealed", "clientMsgId");
  private static final int ID = 0;
  private static final int OP = 1;
  private static final int TO = 2;
  private static final int GROUP = 3;
  private static final int BODY = 4;
  private static final int SEALED = 5;
  private static final int CLIENT_MSG_ID = 6;

  private ServerLines() {}

  /** The send in the first {@code length} bytes of {@code line}, or null when it is not exactly a well-formed send. */
  public static Inbound.Request read(byte[] line, int length) {
    try {
      return send(new FlatJson(line, length));
    } catch (FlatJson.Decline | IllegalArgumentException | ChatException e) {
      // The tree path judges it and answers: bad base64 (IllegalArgumentException), a name that
      // breaks the rules (ChatException), anything else.
      return null;
    }
  }

  private static Inbound.Request send(FlatJson r) {
    JsonNode id = null;
    String op = null;
    String to = null;
    String group = null;
    String body = null;
    String sealed = null;
    String clientMsgId = null;
    for (int field; (field = r.field(NAMES)) != FlatJson.END; ) { // repeated ones declined
      switch (field) {
        case ID -> id = r.atString() ? TextNode.valueOf(r.string()) : id(r.integer());
        case OP -> op = r.string();
        case TO -> to = r.string();
        case GROUP -> group = r.string();
        case BODY -> body = r.string();
        case SEALED -> sealed = r.string();
        default -> clientMsgId = r.string();
      }
    }
    if (id == null
        || !Op.SEND.wire.equals(op)
        || (to == null) == (group == null)
        || (body == null) == (sealed == null)) {
      return null;
    }
    Inbound.Send send =
        new Inbound.Send(
            group != null ? Recipient.group(group) : Recipient.user(to),
            sealed != null
                ? MessageBody.sealed(Base64.getDecoder().decode(sealed))
                : MessageBody.text(body),
            clientMsgId);
    return new Inbound.Request(id, Op.SEND, null, send);
  }

  /** An integer id as the tree path holds it: an int if it fits one. */
  private static JsonNode id(long v) {
    return v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
  }
}
