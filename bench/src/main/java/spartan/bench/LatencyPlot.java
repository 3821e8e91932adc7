package spartan.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws latency percentiles against offered rate, one colour per binding, as a small SVG line
 * chart. Written by hand on purpose: it is one chart with log axes, and no well-kept Java
 * plotting library is worth a dependency for that (JFreeChart's SVG export needs a second
 * library, XChart drags in several).
 */
final class LatencyPlot {
  private LatencyPlot() {}

  private static final String[] COLOURS = {"#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  private static final String[][] PERCENTILES = {
    {"p50", ""}, {"p99", "6,4"}, {"p99.9", "2,3"}
  };
  private static final int W = 760;
  private static final int H = 460;
  private static final int LEFT = 70;
  private static final int RIGHT = 190;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  /** Writes the chart for the latency scenario's points, by binding in table order. */
  static void write(Path file, Map<String, List<OpenLoop.Point>> byBinding, String subtitle)
      throws IOException {
    double xMin = Double.MAX_VALUE;
    double xMax = 0;
    double yMin = Double.MAX_VALUE;
    double yMax = 0;
    for (List<OpenLoop.Point> pts : byBinding.values()) {
      for (OpenLoop.Point p : pts) {
        xMin = Math.min(xMin, p.offeredPerSec());
        xMax = Math.max(xMax, p.offeredPerSec());
        for (double y : new double[] {p.p50Ms(), p.p99Ms(), p.p999Ms()}) {
          if (y > 0) {
            yMin = Math.min(yMin, y);
            yMax = Math.max(yMax, y);
          }
        }
      }
    }
    if (xMax == 0 || yMax == 0) {
      xMin = 1;
      xMax = 10;
      yMin = 0.1;
      yMax = 1;
    }
    double lx0 = Math.log10(xMin) - 0.05;
    double lx1 = Math.log10(Math.max(xMax, xMin * 1.01)) + 0.05;
    double ly0 = Math.floor(Math.log10(yMin));
    double ly1 = Math.ceil(Math.log10(yMax * 1.0001));
    if (ly1 <= ly0) {
      ly1 = ly0 + 1;
    }
    Scale sx = new Scale(lx0, lx1, LEFT, W - RIGHT);
    Scale sy = new Scale(ly0, ly1, H - BOTTOM, TOP);

    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
    svg.append("<!-- Written by spartan.bench.LatencyPlot: a hand-written SVG chart, since no "
        + "well-kept Java plotting library is needed for one chart. -->\n");
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"20\" font-size=\"15\">Direct-message latency vs offered rate</text>%n",
        LEFT));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"34\" fill=\"#666\">%s</text>%n",
        LEFT, escape(subtitle)));
    // Grid and axes: decades on y, the offered rates on x.
    for (int d = (int) ly0; d <= (int) ly1; d++) {
      double y = sy.at(d);
      svg.append(line(LEFT, y, W - RIGHT, y, "#ddd", ""));
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4,
          Tables.number(Math.pow(10, d))));
    }
    List<Double> ticks = new ArrayList<>();
    for (List<OpenLoop.Point> pts : byBinding.values()) {
      for (OpenLoop.Point p : pts) {
        if (!ticks.contains(p.offeredPerSec())) {
          ticks.add(p.offeredPerSec());
        }
      }
    }
    for (double t : ticks) {
      double x = sx.at(Math.log10(t));
      svg.append(line(x, TOP, x, H - BOTTOM, "#eee", ""));
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, H - BOTTOM + 16,
          Tables.number(t)));
    }
    svg.append(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "#000", ""));
    svg.append(line(LEFT, TOP, LEFT, H - BOTTOM, "#000", ""));
    svg.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">offered rate (messages/s, log)</text>%n",
        (LEFT + W - RIGHT) / 2, H - 20));
    svg.append(String.format(Locale.ROOT,
        "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">latency (ms, log)</text>%n",
        (TOP + H - BOTTOM) / 2));

    int legendY = TOP + 10;
    int c = 0;
    for (Map.Entry<String, List<OpenLoop.Point>> e : byBinding.entrySet()) {
      String colour = COLOURS[c++ % COLOURS.length];
      for (int k = 0; k < PERCENTILES.length; k++) {
        StringBuilder path = new StringBuilder();
        for (OpenLoop.Point p : e.getValue()) {
          double v = k == 0 ? p.p50Ms() : k == 1 ? p.p99Ms() : p.p999Ms();
          if (!(v > 0)) {
            continue;
          }
          double x = sx.at(Math.log10(p.offeredPerSec()));
          double y = sy.at(Math.log10(v));
          path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
          // Saturated points are hollow.
          svg.append(String.format(Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" stroke=\"%s\" fill=\"%s\"/>%n", x, y, colour,
              p.saturated() ? "white" : colour));
        }
        if (path.length() > 0) {
          svg.append(String.format(Locale.ROOT,
              "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>%n", path, colour,
              PERCENTILES[k][1].isEmpty() ? "" : " stroke-dasharray=\"" + PERCENTILES[k][1] + "\""));
        }
        svg.append(line(W - RIGHT + 14, legendY, W - RIGHT + 44, legendY, colour, PERCENTILES[k][1]));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s %s</text>%n",
            W - RIGHT + 50, legendY + 4, escape(e.getKey()), PERCENTILES[k][0]));
        legendY += 17;
      }
      legendY += 6;
    }
    svg.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" fill=\"#666\">hollow = saturated</text>%n", W - RIGHT + 14,
        legendY + 6));
    svg.append("</svg>\n");
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, svg);
  }

  private static String line(double x1, double y1, double x2, double y2, String colour, String dash) {
    return String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n", x1, y1, x2, y2,
        colour, dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private record Scale(double d0, double d1, double r0, double r1) {
    double at(double v) {
      return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
    }
  }
}
