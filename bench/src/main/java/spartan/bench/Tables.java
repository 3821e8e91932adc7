package spartan.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints one scenario's table: bindings side by side, then each transport as a ratio to the
 * baseline and the two transports to each other. A ratio is simply value / value; whether
 * bigger is better depends on the row, which says so.
 */
final class Tables {
  private Tables() {}

  static void print(PrintStream out, Scenario s, BenchOptions o, Map<String, Outcome> byBinding) {
    List<String> bindings = new ArrayList<>(byBinding.keySet());
    List<String[]> ratios = ratios(bindings);
    // Rows in first-seen order across bindings.
    Map<String, Outcome.Figure> rows = new LinkedHashMap<>();
    for (Outcome oc : byBinding.values()) {
      for (Outcome.Figure f : oc.figures()) {
        rows.putIfAbsent(f.label(), f);
      }
    }
    List<String> header = new ArrayList<>();
    header.add("");
    header.addAll(bindings);
    for (String[] r : ratios) {
      header.add(r[0] + "/" + r[1]);
    }
    List<List<String>> lines = new ArrayList<>();
    for (Outcome.Figure row : rows.values()) {
      List<String> line = new ArrayList<>();
      String unit = row.unit().isEmpty() ? "" : " (" + row.unit() + ")";
      line.add(row.label() + unit + (row.higherIsBetter() ? " ^" : " v"));
      for (String b : bindings) {
        Outcome.Figure f = find(byBinding.get(b), row.label());
        line.add(f == null ? "" : number(f.value()) + (f.flagged() ? "*" : ""));
      }
      for (String[] r : ratios) {
        Outcome.Figure a = find(byBinding.get(r[0]), row.label());
        Outcome.Figure b = find(byBinding.get(r[1]), row.label());
        line.add(a == null || b == null ? "" : ratio(a.value(), b.value()));
      }
      lines.add(line);
    }
    int[] width = new int[header.size()];
    for (List<String> l : concat(header, lines)) {
      for (int i = 0; i < l.size(); i++) {
        width[i] = Math.max(width[i], l.get(i).length());
      }
    }
    out.println();
    out.println("== " + s.title() + " ==");
    out.println("   " + s.method(o));
    printLine(out, header, width);
    StringBuilder rule = new StringBuilder();
    for (int w : width) {
      rule.append("-".repeat(w)).append("-+-");
    }
    out.println(rule.substring(0, rule.length() - 3));
    for (List<String> l : lines) {
      printLine(out, l, width);
    }
    for (Map.Entry<String, Outcome> e : byBinding.entrySet()) {
      for (String n : e.getValue().notes()) {
        out.println("   " + e.getKey() + ": " + n);
      }
    }
    out.println("   ^ higher is better, v lower is better; ratios are value / value.");
  }

  /**
   * The ratio columns, {numerator, denominator}: each other store against memory on the same
   * transport; each transport on the memory store (or the first store) against the relay; each
   * node count against one node, gRPC against the socket transport, and TLS against plain, all
   * else alike.
   */
  static List<String[]> ratios(List<String> names) {
    List<Binding> bs = names.stream().map(Binding::parse).toList();
    List<String[]> out = new ArrayList<>();
    // First what the stores cost on each transport: the durable figure against the in-memory one.
    for (Binding b : bs) {
      if (!b.isRelay() && !b.store().equals("memory") && b.nodes() == 1) {
        add(out, names, b, b.withStore("memory"));
      }
    }
    String relayStore =
        bs.stream().filter(b -> !b.isRelay()).map(Binding::store)
            .filter(st -> st.equals("memory")).findFirst()
            .orElse(bs.stream().filter(b -> !b.isRelay()).map(Binding::store).findFirst()
                .orElse(null));
    if (names.contains(Deployment.RELAY)) {
      for (Binding b : bs) {
        if (!b.isRelay() && !b.isTls() && b.nodes() == 1 && b.store().equals(relayStore)) {
          out.add(new String[] {b.name(), Deployment.RELAY});
        }
      }
    }
    for (Binding b : bs) {
      if (b.isRelay()) {
        continue;
      }
      if (b.nodes() > 1) {
        add(out, names, b, new Binding(b.transport(), b.store(), 1));
      }
      if (b.transport().equals("grpc")) {
        add(out, names, b, new Binding("socket", b.store(), b.nodes()));
      }
      if (b.isTls()) {
        add(out, names, b, new Binding(b.wire(), b.store(), b.nodes()));
      }
    }
    return out;
  }

  private static void add(List<String[]> out, List<String> names, Binding a, Binding b) {
    if (names.contains(b.name())) {
      out.add(new String[] {a.name(), b.name()});
    }
  }

  private static List<List<String>> concat(List<String> header, List<List<String>> lines) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(lines);
    return all;
  }

  private static void printLine(PrintStream out, List<String> cells, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      if (i == 0) {
        sb.append(c).append(" ".repeat(width[i] - c.length()));
      } else {
        sb.append(" | ").append(" ".repeat(width[i] - c.length())).append(c);
      }
    }
    out.println(sb);
  }

  private static Outcome.Figure find(Outcome o, String label) {
    if (o == null) {
      return null;
    }
    for (Outcome.Figure f : o.figures()) {
      if (f.label().equals(label)) {
        return f;
      }
    }
    return null;
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 999.5) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.2fx", a / b);
  }
}
