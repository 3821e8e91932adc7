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

  /**
   * The median of repeated runs, figure by figure (NaNs left out); a figure is flagged when most
   * runs flagged it. Notes are merged; the detail keeps every run's.
   */
  static Outcome median(List<Outcome> runs) {
    if (runs.size() == 1) {
      return runs.get(0);
    }
    Outcome out = empty();
    Map<String, Figure> labels = new LinkedHashMap<>();
    for (Outcome r : runs) {
      r.figures().forEach(f -> labels.putIfAbsent(f.label(), f));
      r.notes().stream().filter(n -> !out.notes().contains(n)).forEach(out.notes()::add);
    }
    for (Figure f : labels.values()) {
      List<Double> values = new ArrayList<>();
      int flagged = 0;
      for (Outcome r : runs) {
        for (Figure g : r.figures()) {
          if (g.label().equals(f.label())) {
            if (!Double.isNaN(g.value())) {
              values.add(g.value());
            }
            flagged += g.flagged() ? 1 : 0;
          }
        }
      }
      out.add(f.label(), medianOf(values), f.unit(), f.higherIsBetter(), flagged * 2 > runs.size());
    }
    List<Map<String, Object>> each = new ArrayList<>();
    for (Outcome r : runs) {
      each.add(Map.of("figures", r.figures(), "detail", r.detail()));
    }
    out.detail("runs", each);
    return out;
  }

  static double medianOf(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The figure called {@code label}, or NaN. */
  double value(String label) {
    return figures.stream().filter(f -> f.label().equals(label)).mapToDouble(Figure::value)
        .findFirst().orElse(Double.NaN);
  }
}
