package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's decoder: each framed line becomes one {@link Inbound}, a {@link Inbound.Request}
 * with its envelope checked or a {@link Inbound.Malformed} for the connection to answer. A send
 * that is exactly well formed is read straight from its bytes ({@link ServerLines}); every other
 * line is read as a tree, and its envelope ({@code id} a number, string or null; {@code op} a
 * known name) is checked here. A {@code pong} makes nothing: reading it was the point. Whether a
 * request needs a login is the connection's question, not the decoder's, since a login queued
 * before it may still be running.
 *
 * <p>Stateless and thread-safe; one instance serves every connection of a server.
 */
@ChannelHandler.Sharable
public final class RequestDecoder extends JsonLineDecoder<Inbound> {
  public static final Inbound.Malformed NOT_AN_OBJECT =
      new Inbound.Malformed(
          NullNode.getInstance(), WireCodes.BAD_REQUEST, "A request must be a JSON object.");
  public static final Inbound.Malformed BAD_ID =
      new Inbound.Malformed(
          NullNode.getInstance(), WireCodes.BAD_REQUEST, "'id' must be a number or a string.");

  /** The longest prefix of an unknown op quoted back. */
  public static final int QUOTED_OP_CHARS = 40;

  /** One value per malformed reason (the reasons are a few constants): a flood allocates none. */
  private static final Map<String, Inbound.Malformed> MALFORMED = new ConcurrentHashMap<>();

  public RequestDecoder(WireJson json) {
    super(json);
  }

  @Override
  protected Inbound fast(byte[] line, int length) {
    return ServerLines.read(line, length);
  }

  @Override
  protected Inbound malformed(String reason) {
    return MALFORMED.computeIfAbsent(
        reason, r -> new Inbound.Malformed(NullNode.getInstance(), WireCodes.BAD_REQUEST, r));
  }

  /** The envelope check: a request, or the error that answers the line; null for a pong. */
  @Override
  protected Inbound tree(JsonNode node) {
    if (!node.isObject()) {
      return NOT_AN_OBJECT;
    }
    JsonNode id = node.get("id");
    if (id == null) {
      id = NullNode.getInstance();
    } else if (!id.isNumber() && !id.isTextual() && !id.isNull()) {
      return BAD_ID;
    }
    JsonNode opNode = node.get("op");
    if (opNode == null || !opNode.isTextual()) {
      return new Inbound.Malformed(
          id, WireCodes.BAD_REQUEST, "'op' is required and must be a string.");
    }
    Op op = Op.byWire(opNode.textValue());
    if (op == null) {
      String name = opNode.textValue();
      if (name.length() > QUOTED_OP_CHARS) {
        name = name.substring(0, QUOTED_OP_CHARS) + "…";
      }
      return new Inbound.Malformed(id, WireCodes.UNKNOWN_OP, "Unknown op '" + name + "'.");
    }
    if (op == Op.PONG) {
      return null;
    }
    return new Inbound.Request(id, op, (ObjectNode) node);
  }
}
