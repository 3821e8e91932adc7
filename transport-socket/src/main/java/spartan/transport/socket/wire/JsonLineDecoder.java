package spartan.transport.socket.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads framed lines of JSON, for both sides: the server's {@link RequestDecoder} and the
 * connector's {@link ReplyDecoder} say what a line becomes. It sits after a line framer that
 * bounds the line length. Each line goes first to the side's fast path, which reads the lines it
 * knows straight from their bytes, and otherwise becomes a tree; a line that does not parse is
 * reported as a reason instead of an exception, so the connection can answer it and go on. Blank
 * lines are skipped, which is kind to people typing into {@code nc}.
 *
 * <p>Every line is checked to be valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) before either reader sees it: Jackson decodes an overlong {@code C0 AF} as
 * {@code /} without complaint, and a stored body must be the text its bytes say.
 *
 * <p>A malformed line's reason is one of a few fixed, short texts and never quotes the line: a
 * peer sending junk must not get back more than it sent. Stateless: lines are read from a
 * per-thread array ({@link Scratch}), so one instance may serve every connection.
 *
 * @param <T> what a line becomes
 */
public abstract class JsonLineDecoder<T> extends MessageToMessageDecoder<ByteBuf> {
  public static final String NOT_JSON = "not valid JSON";
  public static final String NOT_UTF8 = "not valid UTF-8";
  public static final String DUPLICATE = "not valid JSON: duplicate field name";
  public static final String TOO_DEEP = "JSON nested deeper than " + WireJson.MAX_NESTING + " levels";
  public static final String LONG_NUMBER =
      "JSON number longer than " + WireJson.MAX_NUMBER_CHARS + " characters";
  public static final String LONG_NAME =
      "JSON field name longer than " + WireJson.MAX_NAME_CHARS + " characters";

  /**
   * Lines up to {@link Scratch#BYTES} are read from a per-thread copy. What is read from it
   * (strings, trees) is copied out, so nothing keeps the array past {@link #decode}.
   */
  private static final Scratch SCRATCH = new Scratch();

  private final WireJson json;

  protected JsonLineDecoder(WireJson json) {
    super(ByteBuf.class);
    this.json = json;
  }

  /** What the first {@code length} bytes of {@code line} stand for, read without a tree; or null. */
  protected abstract T fast(byte[] line, int length);

  /** What a line that parsed as {@code node} becomes; null to pass nothing on. */
  protected abstract T tree(JsonNode node);

  /** What a line that is not valid JSON, for {@code reason}, becomes; null to pass nothing on. */
  protected abstract T malformed(String reason);

  @Override
  protected final void decode(ChannelHandlerContext ctx, ByteBuf line, List<Object> out) {
    T value = read(line);
    if (value != null) {
      out.add(value);
    }
  }

  private T read(ByteBuf line) {
    if (isBlank(line)) {
      return null;
    }
    int length = line.readableBytes();
    byte[] bytes = SCRATCH.array(length);
    line.getBytes(line.readerIndex(), bytes, 0, length);
    int ascii = firstNonAscii(bytes, length); // only what follows needs a closer look
    if (ascii < length
        && !ByteBufUtil.isText(
            line, line.readerIndex() + ascii, length - ascii, StandardCharsets.UTF_8)) {
      return malformed(NOT_UTF8);
    }
    T fast = fast(bytes, length);
    if (fast != null) {
      return fast;
    }
    JsonNode node;
    try {
      node = json.parse(bytes, length);
    } catch (JsonProcessingException e) {
      return malformed(reason(e.getOriginalMessage()));
    } catch (IOException e) {
      return malformed(NOT_JSON);
    }
    return tree(node);
  }

  /** The fixed reason for Jackson's complaint: which bound a line broke, if it broke one. */
  private static String reason(String message) {
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
  public static int firstNonAscii(byte[] bytes, int length) {
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
