package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connector's decoder: each line from the server becomes a {@link
 * spartan.core.ChatEvent.MessageReceived} or a {@link ClientLines.SendOk} when the fast path
 * ({@link ClientLines}) takes it, else its tree, an {@link ObjectNode}. A line that is not a JSON
 * object is logged and dropped: the server is trusted, and one bad line must not end a session.
 *
 * <p>Stateless and thread-safe.
 */
@ChannelHandler.Sharable
public final class ReplyDecoder extends JsonLineDecoder<Object> {
  private static final Logger log = LoggerFactory.getLogger(ReplyDecoder.class);

  public ReplyDecoder(WireJson json) {
    super(json);
  }

  @Override
  protected Object fast(byte[] line, int length) {
    return ClientLines.read(line, length);
  }

  @Override
  protected Object tree(JsonNode node) {
    if (node instanceof ObjectNode line) {
      return line;
    }
    return malformed("not a JSON object");
  }

  @Override
  protected Object malformed(String reason) {
    log.warn("ignoring a line from the server that is not a JSON object ({})", reason);
    return null;
  }
}
