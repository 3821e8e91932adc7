package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;
import spartan.core.ChatEvent;

/**
 * The server's encoder: each {@link Outbound} becomes one line in one buffer. The lines a busy
 * connection writes most, message events and send replies, are written straight to bytes by
 * {@link MessageLines} (a group message once for all its members); the rest through a tree
 * ({@link WireFormat}). Error replies and the {@code stream_end} event take their fields from one
 * builder, {@link WireFormat#errorFields}, so the two cannot drift.
 *
 * <p>Thread-safe; one instance serves every connection of a server, and shares the group-message
 * cache among them.
 */
@ChannelHandler.Sharable
public final class ReplyEncoder extends MessageToMessageEncoder<Outbound> {
  private static final byte[] PING = LineWriter.ascii("{\"event\":\"ping\"}\n");

  private final WireJson json;
  private final MessageLines lines;

  public ReplyEncoder(WireJson json, MessageLines lines) {
    super(Outbound.class);
    this.json = json;
    this.lines = lines;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Outbound msg, List<Object> out) {
    out.add(line(ctx.alloc(), msg));
  }

  /** {@code msg} as one line, newline included, in a buffer from {@code alloc}. */
  public ByteBuf line(ByteBufAllocator alloc, Outbound msg) {
    if (msg instanceof Outbound.Pushed p) {
      ChatEvent e = p.event();
      return e instanceof ChatEvent.MessageReceived m
          ? lines.line(alloc, m)
          : json.line(alloc, WireFormat.event(e));
    }
    if (msg instanceof Outbound.Sent s) {
      ByteBuf line = lines.sendReply(alloc, s.id(), s.receipt());
      return line != null ? line : json.line(alloc, ok(s).setAll(WireFormat.receipt(s.receipt())));
    }
    if (msg instanceof Outbound.Ok ok) {
      return json.line(alloc, ok(ok).setAll(ok.result()));
    }
    if (msg instanceof Outbound.ErrorReply e) {
      ObjectNode out = WireJson.object();
      out.set("id", e.id());
      out.put("ok", false);
      WireFormat.errorFields(out.putObject("error"), e.code(), e.message(), e.retryAfterMs());
      return json.line(alloc, out);
    }
    if (msg instanceof Outbound.StreamEnd end) {
      ObjectNode out = WireJson.object().put("event", "stream_end");
      if (end.code() != null) {
        WireFormat.errorFields(out, end.code(), end.message(), 0);
      }
      return json.line(alloc, out);
    }
    return Unpooled.wrappedBuffer(PING); // the last kind; 17 bytes, shared and never written to
  }

  private static ObjectNode ok(Outbound.Reply reply) {
    ObjectNode out = WireJson.object();
    out.set("id", reply.id());
    out.put("ok", true);
    return out;
  }
}
