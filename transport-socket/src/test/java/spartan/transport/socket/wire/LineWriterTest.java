package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written writer's strings and numbers, checked against Jackson's. */
class LineWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRICKY =
      "aZ09 ~\"\\/\b\f\n\r\t\u0000\u0001\u001f\u007f\u0080é\u07ff\u0800☃\uffff😀\ud83d\ude00";

  private static String written(String s) {
    return new String(new LineWriter().string(s).bytes(), StandardCharsets.UTF_8);
  }

  private static String jackson(String s) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.getFactory().createGenerator(bytes)) {
      g.writeString(s);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void writesStringsByteForByteAsJacksonDoes() throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int n = random.nextInt(12); n > 0; n--) {
        if (random.nextBoolean()) {
          sb.append((char) ('a' + random.nextInt(26)));
        } else {
          int at = random.nextInt(TRICKY.length());
          char c = TRICKY.charAt(at);
          sb.append(c); // lone surrogates too
        }
      }
      String s = sb.toString();
      assertThat(written(s)).as("%s", s).isEqualTo(jackson(s));
    }
  }

  @Test
  void surrogatesAreEscaped_andReadBackAsThemselves() throws Exception {
    for (String s : new String[] {"\ud800", "x\udc00y", "\ude00\ud83d", "end\ud83d", "😀"}) {
      String line = written(s);
      assertThat(line).isEqualTo(line.replaceAll("[^\\x20-\\x7e]", "?")); // all ASCII
      assertThat(JSON.readTree(line).textValue()).isEqualTo(s);
    }
  }

  /** Short lines share a per-thread array; each line's bytes are its own all the same. */
  @Test
  void linesFromTheSharedArrayAndLongerOnesAreEachTheirOwn() {
    byte[] first = line("first line, the longer");
    byte[] second = line("second");
    String huge = "z\"".repeat(Scratch.BYTES); // outgrows the shared array, in the escaped part
    byte[] third = line(huge);
    assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("\"first line, the longer\"");
    assertThat(new String(second, StandardCharsets.UTF_8)).isEqualTo("\"second\"");
    assertThat(new String(third, StandardCharsets.UTF_8))
        .isEqualTo("\"" + "z\\\"".repeat(Scratch.BYTES) + "\"");
    String plain = "p".repeat(Scratch.BYTES + 1); // outgrows it before the first char
    assertThat(new String(line(plain), StandardCharsets.UTF_8)).isEqualTo("\"" + plain + "\"");
    assertThat(new String(line("after"), StandardCharsets.UTF_8)).isEqualTo("\"after\"");
    var buf = new LineWriter().string("buf").toBuffer(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    try {
      assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("\"buf\"");
    } finally {
      buf.release();
    }
  }

  private static byte[] line(String s) {
    return new LineWriter().string(s).bytes();
  }

  @Test
  void writesIntegersOfEveryLength() {
    long[] values = {0, 1, -1, 9, 10, -10, 99, 100, 1_700_000_000_123L, Long.MAX_VALUE, Long.MIN_VALUE};
    Random random = new Random(3);
    for (int i = 0; i < 10_000 + values.length; i++) {
      long v = i < values.length ? values[i] : random.nextLong() >> random.nextInt(64);
      assertThat(new String(new LineWriter().decimal(v).bytes(), StandardCharsets.US_ASCII))
          .isEqualTo(Long.toString(v));
    }
  }
}
