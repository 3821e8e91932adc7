package spartan.client;

import org.jline.utils.WCWidth;

/**
 * Makes text that came over the network safe to show on a terminal. Bodies, names, group names
 * and error messages are chosen by other people (or a hostile server) and may carry control
 * characters: CR and LF that start a line of their own (a forged {@code [Spartan]} warning, a
 * fake message from someone else), ESC sequences that set colours, move the cursor or retitle the
 * window (OSC), C1 controls that 8-bit terminals read as CSI, and bidi overrides that reorder the
 * text after them. {@link Printer} passes everything it prints through here, so none of it reaches
 * the terminal; each one is replaced by a visible stand-in so the reader sees that something was
 * there.
 *
 * <p>Stand-ins: TAB becomes a space; every other C0 control and DEL its Unicode control picture
 * (ESC shows as ␛, CR as ␍, LF as ␊, DEL as ␡); C1 controls (U+0080–U+009F, NEL included), the line
 * and paragraph separators U+2028 and U+2029, the bidi embedding, override and isolate controls
 * (U+202A–U+202E, U+2066–U+2069) and unpaired surrogates become U+FFFD. Everything else, emoji and
 * right-to-left text included, is left as it is. Every function runs in one pass, in time linear in
 * its input. Stateless and thread-safe.
 */
final class TerminalText {
  /**
   * Starts every screen row of a logical line after its first: the further lines of a multi-line
   * body, and the rest of a line too wide for the terminal. No message or {@code [Spartan]} line
   * starts this way, so text after a line break can never pass for one.
   */
  static final String CONTINUATION = "  | ";

  private static final char REPLACEMENT = '\uFFFD';

  private TerminalText() {}

  /**
   * {@code s} as one line with every control character replaced by its stand-in; line breaks too
   * (shown as ␍ and ␊). For names, error messages and anything else that must stay inside the
   * line it is printed in. Null is shown as the empty string.
   */
  static String clean(CharSequence s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = null; // allocated at the first change: most text is clean
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      char shown;
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        if (out != null) {
          out.append(c).append(s.charAt(i + 1));
        }
        i++;
        continue;
      } else if (Character.isSurrogate(c)) {
        shown = REPLACEMENT; // unpaired: would reach the terminal as '?' or invalid UTF-8
      } else {
        shown = standIn(c);
      }
      if (shown != c && out == null) {
        out = new StringBuilder(n).append(s, 0, i);
      }
      if (out != null) {
        out.append(shown);
      }
    }
    return out == null ? s.toString() : out.toString();
  }

  /**
   * A message body for display after its label: each line {@link #clean}ed, and every line after
   * the first starting on a new row with {@link #CONTINUATION}. CR LF, CR, LF, NEL (U+0085) and the
   * separators U+2028 and U+2029 each end a line; a line break at the very end shows as an empty
   * continuation row, so the reader sees everything that was sent.
   */
  static String body(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    int start = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
        out.append(clean(s.subSequence(start, i))).append('\n').append(CONTINUATION);
        if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    return out.append(clean(s.subSequence(start, n))).toString();
  }

  /**
   * What {@link Printer} writes for {@code text}: the client's own line breaks ({@code \n}) kept,
   * each line {@link #clean}ed and cut into rows of at most {@code width} terminal columns, rows
   * after a line's first starting with {@link #CONTINUATION}. Cutting here rather than letting the
   * terminal wrap means padding a body to the width cannot put its next words at the start of a
   * screen row. A {@code width} too small to hold the marker and one column (0 for a terminal of
   * unknown size) leaves lines uncut.
   */
  static String forScreen(String text, int width) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    int start = 0;
    while (true) {
      int end = text.indexOf('\n', start);
      String line = clean(text.substring(start, end < 0 ? text.length() : end));
      wrap(line, width, out);
      if (end < 0) {
        return out.toString();
      }
      out.append('\n');
      start = end + 1;
    }
  }

  /** Appends {@code line} (already clean) cut into rows of at most {@code width} columns. */
  private static void wrap(String line, int width, StringBuilder out) {
    if (width <= CONTINUATION.length() + 1) {
      out.append(line);
      return;
    }
    int col = 0;
    for (int i = 0; i < line.length(); ) {
      int cp = line.codePointAt(i);
      // Zero-width marks stay with the character before them; an unknown width counts as one.
      int w = WCWidth.wcwidth(cp);
      if (w < 0) {
        w = 1;
      }
      if (col + w > width) {
        out.append('\n').append(CONTINUATION);
        col = CONTINUATION.length();
      }
      out.appendCodePoint(cp);
      col += w;
      i += Character.charCount(cp);
    }
  }

  /** The stand-in for one BMP char that is not a surrogate; {@code c} itself when it is safe. */
  private static char standIn(char c) {
    if (c < 0x20) {
      return c == '\t' ? ' ' : (char) (0x2400 + c); // U+2400..U+241F: ␀..␟
    }
    if (c == 0x7F) {
      return '\u2421'; // ␡
    }
    if (c >= 0x80 && c <= 0x9F) {
      return REPLACEMENT;
    }
    if (c == '\u2028' || c == '\u2029') {
      return REPLACEMENT;
    }
    if ((c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069')) {
      return REPLACEMENT;
    }
    return c;
  }
}
