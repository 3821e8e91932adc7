package spartan.transport.socket.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The hardened Jackson mapper both sides of the socket transport parse lines with. Lines are read
 * only into {@link JsonNode} trees: nothing from the wire ever names a Java type, and default
 * typing is never enabled, so there is no polymorphic deserialisation to abuse. Thread-safe.
 */
public final class WireJson {
  /** Requests are flat objects with at most one array; 16 levels is generous. */
  public static final int MAX_NESTING = 16;

  /** A 64-bit integer has at most 20 characters with its sign; ids and cursors fit. */
  public static final int MAX_NUMBER_CHARS = 20;

  /** Field names are short identifiers. */
  public static final int MAX_NAME_CHARS = 64;

  private final ObjectMapper mapper;

  private WireJson(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * A reader for lines of at most {@code maxLineBytes}: no string and no document can be longer,
   * nesting and numbers are short, and duplicate keys are rejected rather than silently keeping the
   * last one.
   */
  public static WireJson bounded(int maxLineBytes) {
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING)
            .maxStringLength(maxLineBytes)
            .maxNumberLength(MAX_NUMBER_CHARS)
            .maxNameLength(MAX_NAME_CHARS)
            .maxDocumentLength(maxLineBytes)
            .maxTokenCount(maxLineBytes)
            .build();
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(constraints)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();
    return new WireJson(
        JsonMapper.builder(factory)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // An id like 1e400 is echoed exactly instead of becoming Infinity.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build());
  }

  /**
   * Parses one non-blank line.
   *
   * @throws JsonProcessingException for malformed JSON, trailing content or a violated bound
   */
  public JsonNode parse(byte[] line) throws IOException {
    return parse(line, line.length);
  }

  /** Parses the first {@code length} bytes of {@code line}, as {@link #parse(byte[])}. */
  public JsonNode parse(byte[] line, int length) throws IOException {
    return mapper.readTree(line, 0, length);
  }

  /**
   * {@code node} and a newline, written straight into a buffer from {@code alloc}: no byte array
   * to copy again into the socket's direct memory.
   */
  public ByteBuf line(ByteBufAllocator alloc, JsonNode node) {
    ByteBuf out = alloc.buffer();
    try (JsonGenerator g = mapper.getFactory().createGenerator((OutputStream) new ByteBufOutputStream(out))) {
      mapper.writeTree(g, node);
    } catch (IOException e) {
      out.release();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    return out.writeByte('\n');
  }

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }
}
