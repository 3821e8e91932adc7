package spartan.transport.socket.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A strict reader of one flat JSON object, straight from a framed line's bytes: the shape of the
 * lines a busy connection carries most (sends, send replies, message events), whose values are
 * strings, integers and booleans. It takes only what is valid JSON and what it is sure of; on
 * anything else (a nested value, a null, a fraction, an integer of more than 18 digits, a field
 * name with an escape, bytes that are not valid UTF-8, trailing content) it throws {@link
 * #DECLINE}, and the line goes to the general path ({@link WireJson#parse}), which judges it and
 * answers any error. So this reader decides nothing the general path would decide differently.
 *
 * <p>Written by hand, not with Jackson's streaming parser, because for lines this short Jackson's
 * per-parser set-up (bootstrapping, a symbol-table child, buffer recycling) costs more than the
 * parse ({@code WireCodecBenchmark}; the figures are in BENCHMARKS.md).
 *
 * <p>One instance reads one line; not thread-safe.
 */
public final class FlatJson {
  /** Thrown when the line is not this reader's to take; preallocated and without a stack. */
  public static final class Decline extends RuntimeException {
    private Decline() {
      super("not a flat object this reader takes", null, false, false);
    }
  }

  public static final Decline DECLINE = new Decline();

  /** {@link #field} at the object's closing brace. */
  public static final int END = -1;

  private final byte[] buf;
  private final int end;
  private int pos;
  private boolean first = true;
  private int seen; // a bit per name index read so far

  /** Starts reading the first {@code length} bytes of {@code line}, which must open an object. */
  public FlatJson(byte[] line, int length) {
    this.buf = line;
    this.end = length;
    skipSpace();
    expect('{');
  }

  /**
   * The index of the first byte from {@code from} that does not stand for itself inside a string
   * (printable ASCII but the quote and the backslash stand for themselves), or {@code end}.
   */
  private int plain(int from) {
    int i = from;
    // Eight bytes at a time while none of them needs a look: most of a line is a message body.
    while (i + 8 <= end && !special((long) LONGS.get(buf, i))) {
      i += 8;
    }
    while (i < end) {
      byte b = buf[i];
      if (b < 0x20 || b == '"' || b == '\\') { // a byte is signed: non-ASCII is negative
        return i;
      }
      i++;
    }
    return end;
  }

  /**
   * The index in {@code names} (at most 32 of them) of the next field's name, positioned at its
   * value, or {@link #END} after the closing brace once nothing but white space follows it.
   * Declines a name that is not one of {@code names}, or one read already.
   */
  public int field(byte[][] names) {
    skipSpace();
    if (first) {
      first = false;
      if (peek() == '}') {
        pos++;
        return finish();
      }
    } else {
      byte b = take();
      if (b == '}') {
        return finish();
      }
      if (b != ',') {
        throw DECLINE;
      }
      skipSpace();
    }
    expect('"');
    int start = pos;
    int close = plain(start);
    if (close == end || buf[close] != '"') {
      throw DECLINE; // no closing quote, or an escape or non-ASCII byte: no name of ours
    }
    pos = close + 1;
    int index = match(names, start, close - start);
    if ((seen & 1 << index) != 0) {
      throw DECLINE; // a repeated name, which the general path refuses
    }
    seen |= 1 << index;
    skipSpace();
    expect(':');
    skipSpace();
    return index;
  }

  /** A bit ({@code 1 << index}) for each name read so far. */
  public int seen() {
    return seen;
  }

  /** Whether the value at hand is a string (else a number or a literal). */
  public boolean atString() {
    return peek() == '"';
  }

  /** The string value at hand. */
  public String string() {
    expect('"');
    int start = pos;
    int stop = plain(start);
    if (stop == end) {
      throw DECLINE;
    }
    if (buf[stop] == '"') {
      pos = stop + 1;
      return new String(buf, start, stop - start, StandardCharsets.ISO_8859_1); // ASCII here
    }
    return mixed(start);
  }

  /** A string with escapes or non-ASCII bytes, from {@code start} (after its opening quote). */
  private String mixed(int start) {
    StringBuilder sb = new StringBuilder(Math.min(end - start, 256));
    int segment = start;
    pos = start;
    while (true) {
      if (pos >= end) {
        throw DECLINE;
      }
      byte b = buf[pos];
      if (b == '"' || b == '\\') {
        utf8(sb, segment, pos);
        if (b == '"') {
          pos++;
          return sb.toString();
        }
        pos++;
        escape(sb);
        segment = pos;
      } else if (b >= 0 && b < 0x20) {
        throw DECLINE; // a raw control character is not valid JSON
      } else {
        pos++;
      }
    }
  }

  /**
   * Appends the bytes from {@code from} to {@code to} decoded as UTF-8. Java's decoder replaces
   * what is not valid UTF-8 with U+FFFD; a U+FFFD in the result (rare in text) sends the line to
   * Jackson, whose UTF-8 rules are the ones that count.
   */
  private void utf8(StringBuilder sb, int from, int to) {
    if (to > from) {
      String s = new String(buf, from, to - from, StandardCharsets.UTF_8);
      if (s.indexOf('\uFFFD') >= 0) {
        throw DECLINE;
      }
      sb.append(s);
    }
  }

  private void escape(StringBuilder sb) {
    byte e = take();
    switch (e) {
      case '"' -> sb.append('"');
      case '\\' -> sb.append('\\');
      case '/' -> sb.append('/');
      case 'b' -> sb.append('\b');
      case 'f' -> sb.append('\f');
      case 'n' -> sb.append('\n');
      case 'r' -> sb.append('\r');
      case 't' -> sb.append('\t');
      case 'u' -> {
        int c = 0;
        for (int i = 0; i < 4; i++) {
          int d = Character.digit(take(), 16);
          if (d < 0) {
            throw DECLINE;
          }
          c = c << 4 | d;
        }
        sb.append((char) c); // a lone surrogate too, as Jackson reads it
      }
      default -> throw DECLINE;
    }
  }

  /**
   * The integer value at hand: an optional minus and 1 to 18 digits, without a leading zero. A
   * longer one goes to the general path, which knows whether it fits a long.
   */
  public long integer() {
    boolean negative = peek() == '-';
    if (negative) {
      pos++;
    }
    int digits = pos;
    long v = 0;
    while (pos < end) {
      byte b = buf[pos];
      if (b < '0' || b > '9') {
        break;
      }
      v = v * 10 + (b - '0');
      pos++;
    }
    int n = pos - digits;
    if (n == 0 || n > 18 || (n > 1 && buf[digits] == '0')) {
      throw DECLINE;
    }
    // What follows is checked by the next field(): only white space, ',' or '}' may.
    return negative ? -v : v;
  }

  /** The boolean value at hand. */
  public boolean bool() {
    if (matches(TRUE)) {
      pos += TRUE.length;
      return true;
    }
    if (matches(FALSE)) {
      pos += FALSE.length;
      return false;
    }
    throw DECLINE;
  }

  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");

  /** Names as the reader matches them. */
  public static byte[][] names(String... names) {
    byte[][] out = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      out[i] = ascii(names[i]);
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Whether any of the eight bytes in {@code w} is a control character, a quote, a backslash or
   * not ASCII: the bit tricks of "Bit Twiddling Hacks" (haszero, hasless) over every byte at once.
   */
  private static boolean special(long w) {
    long quote = w ^ 0x2222222222222222L;
    long backslash = w ^ 0x5C5C5C5C5C5C5C5CL;
    long zeroInQuote = (quote - 0x0101010101010101L) & ~quote;
    long zeroInBackslash = (backslash - 0x0101010101010101L) & ~backslash;
    long below0x20 = w - 0x2020202020202020L; // a byte below 0x20 borrows into its top bit
    return ((zeroInQuote | zeroInBackslash | below0x20 | w) & 0x8080808080808080L) != 0;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private int match(byte[][] names, int start, int length) {
    byte first = buf[start];
    for (int i = 0; i < names.length; i++) {
      byte[] name = names[i];
      if (name.length == length && length > 0 && name[0] == first && matchesAt(name, start)) {
        return i;
      }
    }
    throw DECLINE;
  }

  private boolean matches(byte[] literal) {
    return end - pos >= literal.length && matchesAt(literal, pos);
  }

  private boolean matchesAt(byte[] literal, int at) {
    for (int j = 0; j < literal.length; j++) {
      if (buf[at + j] != literal[j]) {
        return false;
      }
    }
    return true;
  }

  private int finish() {
    skipSpace();
    if (pos != end) {
      throw DECLINE; // trailing content
    }
    return END;
  }

  private void skipSpace() {
    while (pos < end) {
      byte b = buf[pos];
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return;
      }
      pos++;
    }
  }

  private byte peek() {
    if (pos >= end) {
      throw DECLINE;
    }
    return buf[pos];
  }

  private byte take() {
    byte b = peek();
    pos++;
    return b;
  }

  private void expect(char c) {
    if (take() != c) {
      throw DECLINE;
    }
  }
}
