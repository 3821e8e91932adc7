package spartan.bench;

import java.util.Map;

/** One of the scenarios, run the same way on every binding. */
interface Scenario {

  /** The id used by {@code --scenario}. */
  String id();

  /** The table's title. */
  String title();

  /** One sentence saying what is measured and how, printed under the table. */
  String method(BenchOptions o);

  /**
   * Measures {@code target}. {@code earlier} holds this binding's outcomes of the scenarios run
   * before, by id, so a scenario may reuse one instead of measuring it again.
   */
  Outcome run(Target target, BenchOptions o, UserNames names, Map<String, Outcome> earlier)
      throws Exception;
}
