package spartan.transport.socket;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
final class WireJson {
  /** Requests are flat objects with at most one array; 16 levels is generous. */
  static final int MAX_NESTING = 16;

  /** A 64-bit integer has at most 20 characters with its sign; ids and cursors fit. */
  static final int MAX_NUMBER_CHARS = 20;

  /** Field names are short identifiers. */
  static final int MAX_NAME_CHARS = 64;

  private final ObjectMapper mapper;

  private WireJson(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * A reader for lines of at most {@code maxLineBytes}: no string and no document can be longer,
   * nesting and numbers are short, and duplicate keys are rejected rather than silently keeping the
   * last one.
   */
  static WireJson bounded(int maxLineBytes) {
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
  JsonNode parse(byte[] line) throws IOException {
    return mapper.readTree(line);
  }

  /** Reads the fields of one JSON object, for a fast path that skips the tree. */
  @FunctionalInterface
  interface FastReader {
    /**
     * Reads {@code p}'s fields up to and including the object's end. Returns the value the line
     * stands for, or null (or throws IOException or IllegalArgumentException) when the line is
     * not the reader's to take; the line is then read as a tree, which judges it.
     */
    Object read(JsonParser p) throws IOException;
  }

  /**
   * {@code line} read by {@code reader} if it is one JSON object the reader takes whole, else null.
   * The bounds are those of {@link #parse}; repeated field names are the reader's to catch, since
   * the parser's own duplicate check builds a set per object (a sixth of a fast-path read in the
   * profile) where a bit per known field does.
   */
  Object readFast(byte[] line, FastReader reader) {
    try (JsonParser p =
        mapper.createParser(line).disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Object value = reader.read(p);
      boolean whole = p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null;
      return whole ? value : null;
    } catch (IOException | IllegalArgumentException e) {
      return null; // the tree path reports it
    }
  }

  /** Writes the fields of one JSON object. */
  @FunctionalInterface
  interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  /**
   * {@code node} and a newline, written straight into a buffer from {@code alloc}: no byte array
   * to copy again into the socket's direct memory.
   */
  ByteBuf line(ByteBufAllocator alloc, JsonNode node) {
    return write(alloc, g -> mapper.writeTree(g, node));
  }

  /**
   * One JSON object written from {@code fields} with the streaming generator, without a tree, and
   * a newline, straight into a buffer from {@code alloc}: for the lines sent most often.
   */
  ByteBuf line(ByteBufAllocator alloc, Fields fields) {
    return write(
        alloc,
        g -> {
          g.writeStartObject();
          fields.write(g);
          g.writeEndObject();
        });
  }

  /** {@code value} (one JSON value, despite the interface's name) and a newline. */
  private ByteBuf write(ByteBufAllocator alloc, Fields value) {
    ByteBuf out = alloc.buffer();
    try (JsonGenerator g = mapper.getFactory().createGenerator((OutputStream) new ByteBufOutputStream(out))) {
      value.write(g);
    } catch (IOException e) {
      out.release();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    return out.writeByte('\n');
  }

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }
}
