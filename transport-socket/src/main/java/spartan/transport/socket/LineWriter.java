package spartan.transport.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one line of JSON of a size worked out beforehand ({@link #stringSize}, {@link
 * #longSize}) in an array, then hands it to the socket in one buffer of that size: for the lines a
 * busy connection sends most (sends, send replies, message events). Strings are escaped as Jackson
 * escapes them ({@code \"}, {@code \\}, the short escapes for {@code \b \f \n \r \t}, {@code
 * \}{@code u00XX} for the other control characters, every surrogate, paired or not, as its {@code
 * \}{@code uXXXX} escape, everything else as UTF-8), so a line is byte for byte the general path's.
 *
 * <p>Written by hand, not with Jackson's streaming generator, because for lines this short the
 * generator's set-up and buffer recycling cost more than the writing: {@code WireCodecBenchmark}
 * measured a send reply at 127–185 ns against 223–229 ns through Jackson's generator, and a
 * message event at 304–351 ns against 377–429 ns (BENCHMARKS.md, session 7). Not thread-safe; one instance writes one line.
 */
final class LineWriter {
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  /** Lines up to {@link Scratch#BYTES} are built in a per-thread array, then copied out. */
  private static final Scratch SCRATCH = new Scratch();

  private final byte[] out;
  private final int size;
  private int at;

  /**
   * A line of exactly {@code size} bytes, newline included. Until {@link #bytes} or {@link
   * #toBuffer}, no other writer may be made on this thread.
   */
  LineWriter(int size) {
    this.out = SCRATCH.array(size);
    this.size = size;
  }

  /** Appends {@code literal} (a fixed part of the line, from {@link #ascii}). */
  LineWriter raw(byte[] literal) {
    System.arraycopy(literal, 0, out, at, literal.length);
    at += literal.length;
    return this;
  }

  /** Appends {@code v} in decimal ({@link #longSize} bytes). */
  LineWriter decimal(long v) {
    if (v == Long.MIN_VALUE) {
      return raw(LONG_MIN);
    }
    byte[] o = out;
    int a = at;
    if (v < 0) {
      o[a++] = '-';
      v = -v;
    }
    int end = a + longSize(v);
    for (int i = end - 1; i >= a; i--) {
      long q = v / 10; // one division a digit
      o[i] = (byte) ('0' + (int) (v - q * 10));
      v = q;
    }
    at = end;
    return this;
  }

  private static final byte[] LONG_MIN = ascii(Long.toString(Long.MIN_VALUE));

  /** Appends {@code s} as a JSON string of {@code size} bytes, as {@link #stringSize} gave. */
  LineWriter string(String s, int size) {
    out[at++] = '"';
    int n = s.length();
    if (size == n + 2) { // all printable ASCII, nothing to escape
      byte[] o = out;
      int a = at;
      for (int i = 0; i < n; i++) {
        o[a + i] = (byte) s.charAt(i);
      }
      at = a + n;
    } else {
      for (int i = 0; i < n; i++) {
        escaped(s.charAt(i));
      }
    }
    out[at++] = '"';
    return this;
  }

  private void escaped(char c) {
    if (c < 0x80) {
      if (c < 0x20) {
        char e = shortEscape(c);
        if (e != 0) {
          out[at++] = '\\';
          out[at++] = (byte) e;
        } else {
          unicodeEscape(c);
        }
      } else if (c == '"' || c == '\\') {
        out[at++] = '\\';
        out[at++] = (byte) c;
      } else {
        out[at++] = (byte) c;
      }
    } else if (c < 0x800) {
      out[at++] = (byte) (0xC0 | c >> 6);
      out[at++] = (byte) (0x80 | c & 0x3F);
    } else if (Character.isSurrogate(c)) {
      unicodeEscape(c);
    } else {
      out[at++] = (byte) (0xE0 | c >> 12);
      out[at++] = (byte) (0x80 | c >> 6 & 0x3F);
      out[at++] = (byte) (0x80 | c & 0x3F);
    }
  }

  private void unicodeEscape(char c) {
    out[at++] = '\\';
    out[at++] = 'u';
    out[at++] = HEX[c >> 12];
    out[at++] = HEX[c >> 8 & 0xF];
    out[at++] = HEX[c >> 4 & 0xF];
    out[at++] = HEX[c & 0xF];
  }

  /** The line's bytes, an array of its own; throws if the sizes given did not add up. */
  byte[] bytes() {
    checkSize();
    return out.length == size ? out : Arrays.copyOf(out, size);
  }

  /** The line in a buffer from {@code alloc}; throws if the sizes given did not add up. */
  ByteBuf toBuffer(ByteBufAllocator alloc) {
    checkSize();
    return alloc.buffer(size).writeBytes(out, 0, size);
  }

  private void checkSize() {
    if (at != size) {
      throw new IllegalStateException("line size miscounted: " + at + " of " + size);
    }
  }

  /** Bytes of {@code s} as a JSON string, quotes included. */
  static int stringSize(String s) {
    int n = s.length();
    int size = 2 + n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c < 0x20) {
          size += shortEscape(c) != 0 ? 1 : 5;
        } else if (c == '"' || c == '\\') {
          size += 1;
        }
      } else if (c < 0x800) {
        size += 1;
      } else if (Character.isSurrogate(c)) {
        size += 5; // its \\uXXXX escape
      } else {
        size += 2;
      }
    }
    return size;
  }

  private static char shortEscape(char c) {
    return switch (c) {
      case '\b' -> 'b';
      case '\f' -> 'f';
      case '\n' -> 'n';
      case '\r' -> 'r';
      case '\t' -> 't';
      default -> 0;
    };
  }

  /** Bytes of {@code v} in decimal. */
  static int longSize(long v) {
    if (v < 0) {
      return v == Long.MIN_VALUE ? LONG_MIN.length : 1 + longSize(-v);
    }
    int size = 1;
    while (size < POWERS_OF_TEN.length && v >= POWERS_OF_TEN[size]) {
      size++;
    }
    return size;
  }

  /** 10^i; a comparison each, where a loop of divisions cost a fifth of writing an event. */
  private static final long[] POWERS_OF_TEN = new long[19];

  static {
    long p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p;
      p *= 10;
    }
  }

  /** {@code s} as ASCII bytes, for the fixed parts of a line. */
  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
