package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.io.IOException;
import java.util.List;

/**
 * Turns framed lines into JSON trees (or, for the lines a fast path recognises, straight
 * into values) and JSON trees into lines. It sits after a line framer that
 * bounds the line length; a line that does not parse becomes a {@link Malformed} value instead of
 * an exception, so the handler can answer it and keep the connection. Blank lines are skipped,
 * which is kind to people typing into {@code nc}.
 */
final class JsonLineCodec extends MessageToMessageCodec<ByteBuf, JsonNode> {
  /** A line that is not well-formed JSON (or breaks a bound); {@code reason} is safe to show. */
  record Malformed(String reason) {}

  /** Reads the lines it knows straight from their bytes; null for any other line. */
  @FunctionalInterface
  interface FastPath {
    /** The value the first {@code length} bytes of {@code line} stand for, or null. */
    Object read(byte[] line, int length);
  }

  /**
   * Lines up to {@link Scratch#BYTES} are read from a per-thread copy. What is read from it
   * (strings, trees) is copied out, so nothing keeps the array past {@link #decode}.
   */
  private static final Scratch SCRATCH = new Scratch();

  private final WireJson json;
  private final FastPath fastPath; // null: every line becomes a tree

  JsonLineCodec(WireJson json) {
    this(json, null);
  }

  /** {@code fastPath} reads the most frequent lines without a tree. */
  JsonLineCodec(WireJson json, FastPath fastPath) {
    this.json = json;
    this.fastPath = fastPath;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf line, List<Object> out) {
    if (isBlank(line)) {
      return;
    }
    int length = line.readableBytes();
    byte[] bytes = SCRATCH.array(length);
    line.getBytes(line.readerIndex(), bytes, 0, length);
    Object fast = fastPath == null ? null : fastPath.read(bytes, length);
    if (fast != null) {
      out.add(fast);
      return;
    }
    try {
      out.add(json.parse(bytes, length));
    } catch (JsonProcessingException e) {
      out.add(new Malformed(shorten("not valid JSON: " + e.getOriginalMessage())));
    } catch (IOException e) {
      out.add(new Malformed("not valid JSON"));
    }
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, JsonNode node, List<Object> out) {
    out.add(json.line(ctx.alloc(), node));
  }

  /** Jackson quotes the offending token; a long one would make the reply a second flood. */
  private static String shorten(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }

  private static boolean isBlank(ByteBuf line) {
    for (int i = line.readerIndex(); i < line.writerIndex(); i++) {
      byte b = line.getByte(i);
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
