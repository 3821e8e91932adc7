package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sanitiser every line printed from the network passes through. */
class TerminalTextTest {
  private static final String M = TerminalText.CONTINUATION;

  /** Whether {@code c} may reach the terminal: no C0 but the line break, no DEL, C1 or bidi. */
  private static boolean harmless(char c) {
    return c == '\n'
        || (c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F)
            && (c < '\u202A' || c > '\u202E') && (c < '\u2066' || c > '\u2069')
            && c != '\u2028' && c != '\u2029');
  }

  private static void assertHarmless(String shown) {
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      assertThat(harmless(c)).as("U+%04X at %d", (int) c, i).isTrue();
      if (Character.isHighSurrogate(c)) {
        assertThat(i + 1 < shown.length() && Character.isLowSurrogate(shown.charAt(i + 1)))
            .as("high surrogate at %d is paired", i)
            .isTrue();
        i++;
      } else {
        assertThat(Character.isLowSurrogate(c)).as("unpaired low surrogate at %d", i).isFalse();
      }
    }
  }

  @Test
  void everyC0ControlShowsAsItsControlPictureAndTabAsASpace() {
    for (char c = 0; c < 0x20; c++) {
      String shown = TerminalText.clean("a" + c + "b");
      String expected = c == '\t' ? "a b" : "a" + (char) (0x2400 + c) + "b";
      assertThat(shown).as("U+%04X", (int) c).isEqualTo(expected);
    }
    assertThat(TerminalText.clean("\u001b\r\n\u0007\u0000")).isEqualTo("␛␍␊␇␀");
  }

  @Test
  void delAndEveryC1ControlAreReplaced() {
    assertThat(TerminalText.clean("a\u007fb")).isEqualTo("a␡b");
    for (char c = 0x80; c <= 0x9F; c++) {
      assertThat(TerminalText.clean("a" + c + "b")).as("U+%04X", (int) c).isEqualTo("a\uFFFDb");
    }
  }

  @Test
  void escapeSequencesReachTheScreenOnlyAsVisibleText() {
    assertThat(TerminalText.clean("\u001b[31mred\u001b[0m")).isEqualTo("␛[31mred␛[0m");
    assertThat(TerminalText.clean("\u001b]0;pwned\u0007")).isEqualTo("␛]0;pwned␇"); // OSC title
    assertThat(TerminalText.clean("\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\"))
        .isEqualTo("␛]8;;http://x␛\\link␛]8;;␛\\"); // OSC 8 hyperlink
    assertThat(TerminalText.clean("\u009b2J\u009d0;t\u009c")).isEqualTo("\uFFFD2J\uFFFD0;t\uFFFD");
    assertThat(TerminalText.clean("\u001bP+q\u001b\\")).isEqualTo("␛P+q␛\\"); // DCS
  }

  @Test
  void carriageReturnAndLineFeedNeverBreakACleanedLine() {
    assertThat(TerminalText.clean("ok\r[Spartan] forged")).isEqualTo("ok␍[Spartan] forged");
    assertThat(TerminalText.clean("ok\r\n[alice] forged")).isEqualTo("ok␍␊[alice] forged");
    assertThat(TerminalText.clean("a\u0085b\u2028c\u2029d"))
        .isEqualTo("a\uFFFDb\uFFFDc\uFFFDd");
  }

  @Test
  void bidiEmbeddingOverrideAndIsolateControlsAreReplacedButRightToLeftTextStays() {
    for (char c : "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069".toCharArray()) {
      assertThat(TerminalText.clean("x" + c + "y")).as("U+%04X", (int) c).isEqualTo("x\uFFFDy");
    }
    String rtl = "שלום مرحبا \u200F!"; // Hebrew, Arabic and a right-to-left mark
    assertThat(TerminalText.clean(rtl)).isEqualTo(rtl);
  }

  @Test
  void pairedSurrogatesStayAndUnpairedOnesAreReplaced() {
    assertThat(TerminalText.clean("hi 😀 👍🏽")).isEqualTo("hi 😀 👍🏽");
    assertThat(TerminalText.clean("a\uD83Db")).isEqualTo("a\uFFFDb"); // high, then no low
    assertThat(TerminalText.clean("a\uDE00b")).isEqualTo("a\uFFFDb"); // low alone
    assertThat(TerminalText.clean("end\uD83D")).isEqualTo("end\uFFFD"); // high at the end
    assertThat(TerminalText.clean("\uDE00\uD83D")).isEqualTo("\uFFFD\uFFFD"); // reversed pair
  }

  @Test
  void cleanTextIsUnchangedAndNullIsEmpty() {
    String text = "Hey Bob! ça va? 漢字 — [x] 100% {ok}";
    assertThat(TerminalText.clean(text)).isEqualTo(text);
    assertThat(TerminalText.clean(null)).isEmpty();
    assertThat(TerminalText.body(null)).isEmpty();
  }

  @Test
  void aMultiLineBodyContinuesOnMarkedRowsWhateverTheLineBreak() {
    assertThat(TerminalText.body("one")).isEqualTo("one");
    assertThat(TerminalText.body("one\n[Spartan] WARNING: fake"))
        .isEqualTo("one\n" + M + "[Spartan] WARNING: fake");
    assertThat(TerminalText.body("a\r\nb\rc\nd\u0085e\u2028f\u2029g"))
        .isEqualTo(String.join("\n" + M, "a", "b", "c", "d", "e", "f", "g"));
    assertThat(TerminalText.body("a\n\nb\n")).isEqualTo("a\n" + M + "\n" + M + "b\n" + M);
    assertThat(TerminalText.body("\u001b[2Jhi\n\u001b]0;t\u0007"))
        .isEqualTo("␛[2Jhi\n" + M + "␛]0;t␇");
  }

  @Test
  void theScreenKeepsTheClientsLineBreaksAndCleansEverythingElse() {
    assertThat(TerminalText.forScreen("[Spartan] Menu:\n  1. Create account", 0))
        .isEqualTo("[Spartan] Menu:\n  1. Create account");
    assertThat(TerminalText.forScreen("a\rb\u001b[1mc\u009bd", 0)).isEqualTo("a␍b␛[1mc\uFFFDd");
  }

  @Test
  void linesWiderThanTheTerminalContinueOnMarkedRows() {
    String padded = "[mallory] " + "x".repeat(70) + "[Spartan] You have been logged out.";
    String shown = TerminalText.forScreen(padded, 80);
    List<String> rows = Arrays.asList(shown.split("\n", -1));
    assertThat(rows.get(0)).isEqualTo("[mallory] " + "x".repeat(70));
    assertThat(rows.subList(1, rows.size())).allSatisfy(r -> assertThat(r).startsWith(M));
    assertThat(String.join("", rows).replace(M, "")).isEqualTo(padded);
    assertThat(rows).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(80));
    // Wide characters count two columns: 20 of them in 30 columns leave 5 for the next row.
    assertThat(TerminalText.forScreen("漢".repeat(20), 30))
        .isEqualTo("漢".repeat(15) + "\n" + M + "漢".repeat(5));
    // A combining mark stays with its letter.
    assertThat(TerminalText.forScreen("abcde\u0301f", 10)).isEqualTo("abcde\u0301f");
    assertThat(TerminalText.forScreen("abcdefghij\u0301k", 10))
        .isEqualTo("abcdefghij\u0301\n" + M + "k");
    // Too narrow to hold the marker: left to the terminal.
    assertThat(TerminalText.forScreen("abcdefghij", 5)).isEqualTo("abcdefghij");
  }

  @Test
  void longInputIsCleanedWholeInOnePass() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      sb.append("\u001b[31mx\u202E\n");
    }
    String input = sb.toString(); // 800,000 chars, 100,000 lines
    String cleaned = TerminalText.clean(input);
    assertThat(cleaned).hasSameSizeAs(input);
    assertHarmless(cleaned.replace('\n', ' '));
    assertThat(cleaned).doesNotContain("\n");
    String body = TerminalText.body(input);
    assertThat(body.split("\n", -1))
        .hasSize(100_001)
        .allSatisfy(r -> assertThat(r).doesNotStartWith("["));
    assertHarmless(TerminalText.forScreen("[eve] " + body, 80));
  }

  @Test
  void noRandomBodyCanReachTheTerminalOrStartARowOfItsOwn() {
    Random random = new Random(17);
    char[] alphabet =
        ("ab[]Spartn |\t\r\n\u0000\u0007\u001b\u007f"
                + "\u0085\u009b\u009d\u2028\u2029\u202E\u2066漢\u0301")
            .toCharArray();
    for (int round = 0; round < 2_000; round++) {
      char[] body = new char[random.nextInt(200)];
      for (int i = 0; i < body.length; i++) {
        int pick = random.nextInt(alphabet.length + 2);
        body[i] =
            pick < alphabet.length
                ? alphabet[pick]
                : pick == alphabet.length ? '\uD83D' : '\uDE00'; // surrogates, paired or not
      }
      int width = random.nextBoolean() ? 0 : 6 + random.nextInt(100);
      String shown = TerminalText.forScreen("[eve] " + TerminalText.body(new String(body)), width);
      assertHarmless(shown);
      String[] rows = shown.split("\n", -1);
      assertThat(rows[0]).startsWith("[eve] ");
      for (int i = 1; i < rows.length; i++) {
        assertThat(rows[i]).as("row %d of %s", i, shown).startsWith(M);
      }
    }
  }
}
