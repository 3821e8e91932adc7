package spartan.transport.socket.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one line of JSON in an array, then hands it to the socket in one buffer of exactly its
 * size: for the lines a busy connection sends most (sends, send replies, message events). Strings
 * are escaped as Jackson escapes them ({@code \"}, {@code \\}, the short escapes for {@code \b \f
 * \n \r \t}, {@code \}{@code u00XX} for the other control characters, every surrogate, paired or
 * not, as its {@code \}{@code uXXXX} escape, everything else as UTF-8), so a line is byte for byte
 * the general path's.
 *
 * <p>Written by hand, not with Jackson's streaming generator, because for lines this short the
 * generator's set-up and buffer recycling cost more than the writing ({@code WireCodecBenchmark};
 * the figures are in BENCHMARKS.md).
 *
 * <p>Not thread-safe; one instance writes one line. A line starts in a per-thread array and moves
 * to a larger one of its own only if it outgrows it, so until {@link #bytes} or {@link #toBuffer},
 * no other writer may be made on this thread.
 */
public final class LineWriter {
  private static final byte[] HEX = ascii("0123456789ABCDEF");
  private static final byte[] LONG_MIN = ascii(Long.toString(Long.MIN_VALUE));

  /** Where lines are built; one is copied out at once, into the socket's buffer or an array. */
  private static final Scratch SCRATCH = new Scratch();

  private byte[] out = SCRATCH.array(0);
  private int at;

  /** Appends {@code literal} (a fixed part of the line, from {@link #ascii}). */
  public LineWriter raw(byte[] literal) {
    room(literal.length);
    System.arraycopy(literal, 0, out, at, literal.length);
    at += literal.length;
    return this;
  }

  /** Appends {@code v} in decimal. */
  public LineWriter decimal(long v) {
    if (v == Long.MIN_VALUE) {
      return raw(LONG_MIN);
    }
    room(LONG_MIN.length);
    byte[] o = out;
    int a = at;
    if (v < 0) {
      o[a++] = '-';
      v = -v;
    }
    int end = a + digits(v);
    for (int i = end - 1; i >= a; i--) {
      long q = v / 10; // one division a digit
      o[i] = (byte) ('0' + (int) (v - q * 10));
      v = q;
    }
    at = end;
    return this;
  }

  /** Digits of {@code v >= 0}: a comparison each, not a loop of divisions (a hot spot in the profile). */
  private static int digits(long v) {
    int n = 1;
    while (n < POWERS_OF_TEN.length && v >= POWERS_OF_TEN[n]) {
      n++;
    }
    return n;
  }

  /** 10^i. */
  private static final long[] POWERS_OF_TEN = new long[19];

  static {
    long p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p;
      p *= 10;
    }
  }

  /** Appends {@code s} as a JSON string. */
  public LineWriter string(String s) {
    int n = s.length();
    room(n + 2);
    byte[] o = out;
    int a = at;
    o[a++] = '"';
    int i = 0;
    for (; i < n; i++) { // printable ASCII but the quote and backslash: as it is
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
        break;
      }
      o[a + i] = (byte) c;
    }
    at = a + i;
    for (; i < n; i++) {
      escaped(s.charAt(i));
    }
    room(1);
    out[at++] = '"';
    return this;
  }

  /** One char of a string past its plain start: at most six bytes. */
  private void escaped(char c) {
    room(6);
    byte[] o = out;
    if (c < 0x80) {
      if (c < 0x20) {
        char e = shortEscape(c);
        if (e != 0) {
          o[at++] = '\\';
          o[at++] = (byte) e;
        } else {
          unicodeEscape(c);
        }
      } else if (c == '"' || c == '\\') {
        o[at++] = '\\';
        o[at++] = (byte) c;
      } else {
        o[at++] = (byte) c;
      }
    } else if (c < 0x800) {
      o[at++] = (byte) (0xC0 | c >> 6);
      o[at++] = (byte) (0x80 | c & 0x3F);
    } else if (Character.isSurrogate(c)) {
      unicodeEscape(c);
    } else {
      o[at++] = (byte) (0xE0 | c >> 12);
      o[at++] = (byte) (0x80 | c >> 6 & 0x3F);
      o[at++] = (byte) (0x80 | c & 0x3F);
    }
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

  private void unicodeEscape(char c) {
    byte[] o = out;
    o[at++] = '\\';
    o[at++] = 'u';
    o[at++] = HEX[c >> 12];
    o[at++] = HEX[c >> 8 & 0xF];
    o[at++] = HEX[c >> 4 & 0xF];
    o[at++] = HEX[c & 0xF];
  }

  /** Makes room for {@code more} bytes, moving the line to a larger array of its own if needed. */
  private void room(int more) {
    if (at + more > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, at + more));
    }
  }

  /** The line's bytes, in an array of its own and of exactly its size. */
  public byte[] bytes() {
    return Arrays.copyOf(out, at);
  }

  /** The line in a buffer from {@code alloc}, of exactly its size. */
  public ByteBuf toBuffer(ByteBufAllocator alloc) {
    return alloc.buffer(at).writeBytes(out, 0, at);
  }

  /** {@code s} as ASCII bytes, for the fixed parts of a line. */
  public static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
