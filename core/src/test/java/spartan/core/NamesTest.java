package spartan.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class NamesTest {
  @Test
  void globsMatchWholeNames() {
    assertThat(Names.globMatches("*", "alice")).isTrue();
    assertThat(Names.globMatches("a*", "alice")).isTrue();
    assertThat(Names.globMatches("*e", "alice")).isTrue();
    assertThat(Names.globMatches("a?ice", "alice")).isTrue();
    assertThat(Names.globMatches("*li*", "alice")).isTrue();
    assertThat(Names.globMatches("li", "alice")).isFalse();
    assertThat(Names.globMatches("a?", "alice")).isFalse();
    assertThat(Names.globMatches("b*", "alice")).isFalse();
    assertThat(Names.globMatches("a.b", "a.b")).isTrue();
    assertThat(Names.globMatches("a.b", "axb")).isFalse();
    assertThat(Names.globMatches("**", "")).isTrue();
  }

  @Test
  @Timeout(5)
  void aHostilePatternTakesLinearTime() {
    String hostile = "*a".repeat(31) + "b"; // 63 chars: exponential for a backtracking regex
    for (int i = 0; i < 10_000; i++) {
      assertThat(Names.globMatches(hostile, "a".repeat(32))).isFalse();
    }
  }
}
