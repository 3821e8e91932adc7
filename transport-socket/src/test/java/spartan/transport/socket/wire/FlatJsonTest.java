package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-written reader takes only valid JSON, reads it as Jackson does, and declines the rest:
 * checked against Jackson itself on tricky lines, invalid lines and random mutations.
 */
class FlatJsonTest {
  private static final WireJson JSON = WireJson.bounded(64 * 1024);
  private static final byte[][] NAMES = FlatJson.names("s", "n", "b", "t");

  /** The fields of {@code line} as Jackson's tree would hold them, or null when declined. */
  private static Map<String, Object> read(byte[] line) {
    try {
      FlatJson r = new FlatJson(line, line.length);
      Map<String, Object> out = new LinkedHashMap<>();
      for (int f; (f = r.field(NAMES)) != FlatJson.END; ) {
        String name = new String(NAMES[f], StandardCharsets.US_ASCII);
        Object v =
            switch (name) {
              case "s", "t" -> r.atString() ? r.string() : r.integer();
              case "n" -> r.integer();
              default -> r.bool();
            };
        out.put(name, v);
      }
      return out;
    } catch (FlatJson.Decline e) {
      return null;
    }
  }

  private static Map<String, Object> read(String line) {
    return read(line.getBytes(StandardCharsets.UTF_8));
  }

  /** What Jackson makes of {@code line}, in the same form; null when it rejects it. */
  private static Map<String, Object> jackson(byte[] line) {
    JsonNode n;
    try {
      n = JSON.parse(line);
    } catch (Exception e) {
      return null;
    }
    if (!(n instanceof ObjectNode o)) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    var fields = o.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      JsonNode v = e.getValue();
      out.put(
          e.getKey(),
          v.isTextual() ? v.textValue() : v.isBoolean() ? v.booleanValue() : v.isIntegralNumber() && v.canConvertToLong() ? (Object) v.longValue() : v);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"s\":\"plain\"}",
        " { \"s\" : \"a\" , \"n\" : -12 ,\t\"b\":true\r} \r",
        "{\"s\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\u2603\\ud83d\\ude00\\ud800x\"}",
        "{\"s\":\"é ☃ 😀 ünïcødé\",\"b\":false}",
        "{\"n\":0,\"t\":-0,\"s\":123456789012345678}",
        "{\"s\":\"\"}",
      })
  void readsValidLinesAsJacksonDoes(String line) {
    Map<String, Object> fast = read(line);
    assertThat(fast).isNotNull().isEqualTo(jackson(line.getBytes(StandardCharsets.UTF_8)));
  }

  /** Each of these is invalid JSON (Jackson says so too) or beyond the reader's shape. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "[]",
        "{",
        "{\"s\":\"a\"",
        "{\"s\":\"a\",}",
        "{\"s\" \"a\"}",
        "{'s':'a'}",
        "{\"s\":\"a\"}x",
        "{\"s\":\"a\"}{}",
        "{\"n\":01}",
        "{\"n\":-}",
        "{\"n\":1.5}",
        "{\"n\":1e3}",
        "{\"n\":+1}",
        "{\"n\":1234567890123456789}",
        "{\"n\":12x}",
        "{\"b\":tru}",
        "{\"b\":truex}",
        "{\"b\":null}",
        "{\"s\":\"bad \\x escape\"}",
        "{\"s\":\"bad \\u12G4\"}",
        "{\"s\":\"unterminated}",
        "{\"s\":\"tab\there\"}",
        "{\"\\u0073\":\"escaped name\"}",
        "{\"other\":\"a\"}",
        "{\"s\":{\"nested\":1}}",
        "{\"s\":[1]}",
        "{\"s\":\"a\",\"s\":\"b\"}",
      })
  void declinesWhatItDoesNotTake(String line) {
    assertThat(read(line)).isNull();
  }

  @Test
  void declinesBytesThatAreNotUtf8_leavingThemToJackson() {
    byte[][] lines = {
      {'{', '"', 's', '"', ':', '"', (byte) 0xFF, '"', '}'},
      {'{', '"', 's', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'}, // overlong NUL
      {'{', '"', 's', '"', ':', '"', (byte) 0xE2, (byte) 0x98, '"', '}'}, // cut short
      {'{', '"', 's', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}, // surrogate
    };
    for (byte[] line : lines) {
      assertThat(read(line)).isNull();
    }
  }

  @Test
  void anythingItAcceptsJacksonAcceptsAndReadsTheSame_underRandomMutation() {
    Random random = new Random(20261204);
    String[] seeds = {
      "{\"s\":\"hello \\\"there\\\" é☃\",\"n\":-42,\"b\":true}",
      "{ \"t\" : 7 , \"s\" : \"\\u00e9\\n\" }",
      "{\"n\":123456789,\"b\":false,\"s\":\"😀\"}",
    };
    byte[] alphabet = " \t\r{}[]\",:\\-+.0123456789eEtrufalsnx/u".getBytes(StandardCharsets.US_ASCII);
    int accepted = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] line = seeds[random.nextInt(seeds.length)].getBytes(StandardCharsets.UTF_8);
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        line = mutate(line, random, alphabet);
      }
      Map<String, Object> fast = read(line);
      if (fast != null) {
        accepted++;
        assertThat(fast)
            .as("%s", new String(line, StandardCharsets.UTF_8))
            .isEqualTo(jackson(line));
      }
    }
    assertThat(accepted).as("mutations that stayed valid").isGreaterThan(1000);
  }

  private static byte[] mutate(byte[] line, Random random, byte[] alphabet) {
    int at = random.nextInt(line.length + 1);
    byte b = random.nextInt(10) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
    return switch (random.nextInt(3)) {
      case 0 -> { // replace
        byte[] out = line.clone();
        out[Math.min(at, line.length - 1)] = b;
        yield out;
      }
      case 1 -> { // insert
        byte[] out = new byte[line.length + 1];
        System.arraycopy(line, 0, out, 0, at);
        out[at] = b;
        System.arraycopy(line, at, out, at + 1, line.length - at);
        yield out;
      }
      default -> { // delete
        if (line.length == 1) {
          yield line;
        }
        int d = Math.min(at, line.length - 1);
        byte[] out = new byte[line.length - 1];
        System.arraycopy(line, 0, out, 0, d);
        System.arraycopy(line, d + 1, out, d, line.length - d - 1);
        yield out;
      }
    };
  }

  @Test
  void readsOnlyTheBytesItIsGiven() {
    byte[] bytes = "{\"s\":\"a\"}{\"s\":\"b\",\"n\":1}".getBytes(StandardCharsets.UTF_8);
    FlatJson r = new FlatJson(bytes, 9);
    assertThat(r.field(NAMES)).isZero();
    assertThat(r.string()).isEqualTo("a");
    assertThat(r.field(NAMES)).isEqualTo(FlatJson.END);
    FlatJson cut = new FlatJson(bytes, 8); // {"s":"a" without its brace
    assertThat(cut.field(NAMES)).isZero();
    assertThat(cut.string()).isEqualTo("a");
    assertThatThrownBy(() -> cut.field(NAMES)).isSameAs(FlatJson.DECLINE);
  }

  @Test
  void theDeclineIsCheap_noStackTrace() {
    assertThat(FlatJson.DECLINE.getStackTrace()).isEmpty();
    assertThatThrownBy(() -> new FlatJson(new byte[] {'[', '{'}, 1))
        .isSameAs(FlatJson.DECLINE);
  }
}
