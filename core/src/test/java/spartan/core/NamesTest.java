package spartan.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class NamesTest {
  @Test
  void namesAreOneToThirtyTwoOfTheAllowedCharactersLowerCased() {
    assertThat(Names.user(" Alice.B-2_x ")).isEqualTo("alice.b-2_x");
    assertThat(Names.group("a")).isEqualTo("a");
    assertThat(Names.user("z".repeat(32))).hasSize(32);
    for (String bad : new String[] {"", " ", "z".repeat(33), "a b", "a*", "a?", "é", "a/b", "a\u0000"}) {
      assertThatThrownBy(() -> Names.user(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .hasMessageContaining("user name must be 1-32 characters");
    }
    assertThatThrownBy(() -> Names.group(null)).hasMessageContaining("group name is required");
  }

  @Test
  void globsAllowStarAndQuestionMarkAndDefaultToEverything() {
    assertThat(Names.glob(null)).isEqualTo("*");
    assertThat(Names.glob("  ")).isEqualTo("*");
    assertThat(Names.glob(" B?b* ")).isEqualTo("b?b*");
    assertThat(Names.glob("*".repeat(64))).hasSize(64);
    for (String bad : new String[] {"*".repeat(65), "a b", "[a]", "a+"}) {
      assertThatThrownBy(() -> Names.glob(bad)).as(bad).hasMessageContaining("pattern must be");
    }
  }

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
