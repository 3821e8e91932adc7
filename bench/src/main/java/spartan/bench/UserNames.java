package spartan.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Hands out distinct user names — {@code b0001}, {@code b0002}, … — with a prefix that keeps
 * runs apart on a server that outlives them. Thread-safe.
 */
final class UserNames {
  private final String prefix;
  private int next = 1;

  UserNames(String prefix) {
    this.prefix = prefix;
  }

  synchronized String next() {
    return prefix + String.format("%04d", next++);
  }

  List<String> next(int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(next());
    }
    return out;
  }
}
