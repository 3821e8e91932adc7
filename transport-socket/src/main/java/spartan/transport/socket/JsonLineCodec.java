package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns framed lines into JSON trees (or, for the lines a fast path recognises, straight
 * into values) and JSON trees into lines. It sits after a line framer that
 * bounds the line length; a line that does not parse becomes a {@link Malformed} value instead of
 * an exception, so the handler can answer it and keep the connection. Blank lines are skipped,
 * which is kind to people typing into {@code nc}.
 *
 * <p>Every line is checked to be valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) before either reader sees it: Jackson decodes an overlong {@code C0 AF} as
 * {@code /} without complaint, and a stored body must be the text its bytes say.
 *
 * <p>A {@link Malformed} reason is one of a few fixed, short texts and never quotes the line: a
 * client sending junk must not get back more than it sent.
 */
final class JsonLineCodec extends MessageToMessageCodec<ByteBuf, JsonNode> {
  /** A line that is not well-formed JSON (or breaks a bound); {@code reason} is safe to show. */
  record Malformed(String reason) {}

  static final Malformed NOT_JSON = new Malformed("not valid JSON");
  static final Malformed NOT_UTF8 = new Malformed("not valid UTF-8");
  static final Malformed DUPLICATE = new Malformed("not valid JSON: duplicate field name");
  static final Malformed TOO_DEEP =
      new Malformed("JSON nested deeper than " + WireJson.MAX_NESTING + " levels");
  static final Malformed LONG_NUMBER =
      new Malformed("JSON number longer than " + WireJson.MAX_NUMBER_CHARS + " characters");
  static final Malformed LONG_NAME =
      new Malformed("JSON field name longer than " + WireJson.MAX_NAME_CHARS + " characters");

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
    int ascii = firstNonAscii(bytes, length); // only what follows needs a closer look
    if (ascii < length
        && !ByteBufUtil.isText(
            line, line.readerIndex() + ascii, length - ascii, StandardCharsets.UTF_8)) {
      out.add(NOT_UTF8);
      return;
    }
    Object fast = fastPath == null ? null : fastPath.read(bytes, length);
    if (fast != null) {
      out.add(fast);
      return;
    }
    try {
      out.add(json.parse(bytes, length));
    } catch (JsonProcessingException e) {
      out.add(malformed(e.getOriginalMessage()));
    } catch (IOException e) {
      out.add(NOT_JSON);
    }
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, JsonNode node, List<Object> out) {
    out.add(json.line(ctx.alloc(), node));
  }

  /** The fixed reason for Jackson's complaint: which bound a line broke, if it broke one. */
  private static Malformed malformed(String message) {
    if (message == null) {
      return NOT_JSON;
    }
    if (message.startsWith("Duplicate field")) {
      return DUPLICATE;
    }
    if (message.contains("nesting depth")) {
      return TOO_DEEP;
    }
    if (message.contains("Number value length")) {
      return LONG_NUMBER;
    }
    if (message.contains("Name length")) {
      return LONG_NAME;
    }
    return NOT_JSON;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * The index of the first byte of {@code bytes} that is not ASCII, or {@code length}: eight bytes
   * at a time, since most lines are all ASCII and need no further check.
   */
  static int firstNonAscii(byte[] bytes, int length) {
    int i = 0;
    while (i + 8 <= length && ((long) LONGS.get(bytes, i) & 0x8080808080808080L) == 0) {
      i += 8;
    }
    while (i < length && bytes[i] >= 0) {
      i++;
    }
    return i;
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
