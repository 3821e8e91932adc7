package spartan.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one scenario measured on one binding: the figures its table shows, notes, and the raw
 * detail written to JSON. Built by one scenario thread, then only read.
 */
record Outcome(List<Figure> figures, List<String> notes, Map<String, Object> detail) {

  /**
   * One table row's value. {@code higherIsBetter} tells readers which way the ratio should go;
   * {@code flagged} marks a saturated point (achieved below 99% of offered).
   */
  record Figure(String label, double value, String unit, boolean higherIsBetter, boolean flagged) {}

  static Outcome empty() {
    return new Outcome(new ArrayList<>(), new ArrayList<>(), new LinkedHashMap<>());
  }

  Outcome add(String label, double value, String unit, boolean higherIsBetter) {
    figures.add(new Figure(label, value, unit, higherIsBetter, false));
    return this;
  }

  Outcome add(String label, double value, String unit, boolean higherIsBetter, boolean flagged) {
    figures.add(new Figure(label, value, unit, higherIsBetter, flagged));
    return this;
  }

  Outcome note(String note) {
    notes.add(note);
    return this;
  }

  Outcome detail(String key, Object value) {
    detail.put(key, value);
    return this;
  }

  /** The figure called {@code label}, or NaN. */
  double value(String label) {
    return figures.stream().filter(f -> f.label().equals(label)).mapToDouble(Figure::value)
        .findFirst().orElse(Double.NaN);
  }
}
