package spartan.core;

import java.util.Locale;

/**
 * Validation and normalisation of user names, group names and listing patterns. Names are 1–32
 * characters of {@code [a-z0-9_.-]}, compared case-insensitively: input is lower-cased before it
 * is checked, so {@code "Alice"} and {@code "alice"} are the same account.
 */
public final class Names {
  public static final int MAX_NAME_LENGTH = 32;
  public static final int MAX_PATTERN_LENGTH = 64;


  private Names() {}

  /** Returns the normalised user name, or throws {@code INVALID_ARGUMENT} naming the rule. */
  public static String user(String name) {
    return check(name, "user name");
  }

  /** Returns the normalised group name, or throws {@code INVALID_ARGUMENT} naming the rule. */
  public static String group(String name) {
    return check(name, "group name");
  }

  /**
   * Normalises a glob pattern ({@code *} any run, {@code ?} one character); null or blank means
   * {@code *}.
   */
  public static String glob(String pattern) {
    if (pattern == null || pattern.isBlank()) {
      return "*";
    }
    String p = pattern.strip().toLowerCase(Locale.ROOT);
    if (!allOf(p, MAX_PATTERN_LENGTH, true)) {
      throw ChatException.invalid(
          "pattern must be 1-" + MAX_PATTERN_LENGTH + " characters of a-z 0-9 _ . - * ?");
    }
    return p;
  }

  /**
   * Whether {@code name} matches a normalised glob, in O(name × glob) time. Written by hand
   * rather than compiled to a regex: a backtracking regex for {@code *a*a*a*…b} takes
   * exponential time on a name of {@code a}s, and the pattern comes from the client.
   */
  public static boolean globMatches(String glob, String name) {
    int g = 0;
    int n = 0;
    int star = -1;
    int resume = 0;
    while (n < name.length()) {
      if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == name.charAt(n))) {
        g++;
        n++;
      } else if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        resume = n;
      } else if (star >= 0) {
        g = star + 1;
        n = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }

  private static String check(String name, String what) {
    if (name == null) {
      throw ChatException.invalid(what + " is required");
    }
    String n = name.strip().toLowerCase(Locale.ROOT);
    if (!allOf(n, MAX_NAME_LENGTH, false)) {
      throw ChatException.invalid(
          what + " must be 1-" + MAX_NAME_LENGTH + " characters of a-z 0-9 _ . -");
    }
    return n;
  }

  /**
   * Whether {@code s} is 1 to {@code max} characters of {@code [a-z0-9_.-]} (plus {@code *} and
   * {@code ?} if {@code glob}). A loop, not a regex: every message names its recipient, and the
   * regex's matcher allocation showed in a send's profile (BENCHMARKS.md).
   */
  private static boolean allOf(String s, int max, boolean glob) {
    int len = s.length();
    if (len == 0 || len > max) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.'
              || c == '-'
              || (glob && (c == '*' || c == '?'));
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
