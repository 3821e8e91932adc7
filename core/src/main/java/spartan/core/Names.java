package spartan.core;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Validation and normalisation of user names, group names and listing patterns. Names are 1–32
 * characters of {@code [a-z0-9_.-]}, compared case-insensitively: input is lower-cased before it
 * is checked, so {@code "Alice"} and {@code "alice"} are the same account.
 */
public final class Names {
  public static final int MAX_NAME_LENGTH = 32;
  public static final int MAX_PATTERN_LENGTH = 64;

  private static final Pattern NAME = Pattern.compile("[a-z0-9_.-]{1," + MAX_NAME_LENGTH + "}");
  private static final Pattern GLOB = Pattern.compile("[a-z0-9_.*?-]{1," + MAX_PATTERN_LENGTH + "}");

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
    if (!GLOB.matcher(p).matches()) {
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
    if (!NAME.matcher(n).matches()) {
      throw ChatException.invalid(
          what + " must be 1-" + MAX_NAME_LENGTH + " characters of a-z 0-9 _ . -");
    }
    return n;
  }
}
