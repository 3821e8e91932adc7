package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutcomeTest {

  @Test
  void repeatedRunsReduceToTheMedianOfEachFigureIgnoringUnmeasuredOnes() {
    Outcome a = Outcome.empty().add("rate", 10, "/s", true).add("p99", 5, "ms", false, true);
    Outcome b = Outcome.empty().add("rate", 30, "/s", true).add("p99", Double.NaN, "ms", false);
    Outcome c = Outcome.empty().add("rate", 20, "/s", true).add("p99", 7, "ms", false, true);

    Outcome m = Outcome.median(List.of(a, b, c));

    assertThat(m.value("rate")).isEqualTo(20);
    assertThat(m.value("p99")).isEqualTo(6);
    assertThat(m.figures().get(1).flagged()).as("flagged in most runs").isTrue();
    assertThat(m.figures().get(0).flagged()).isFalse();
    assertThat((List<?>) m.detail().get("runs")).hasSize(3);
  }

  @Test
  void aFigureNoRunMeasuredStaysUnmeasured() {
    Outcome a = Outcome.empty().add("x", Double.NaN, "", true);
    assertThat(Outcome.median(List.of(a, a)).value("x")).isNaN();
    assertThat(Outcome.empty().value("missing")).isNaN();
  }
}
