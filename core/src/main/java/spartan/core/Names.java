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

  /** Compiles a normalised glob into an anchored regex (case is already folded). */
  public static Pattern globToRegex(String glob) {
    StringBuilder re = new StringBuilder(glob.length() + 8);
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        case '.', '-' -> re.append('\\').append(c);
        default -> re.append(c);
      }
    }
    return Pattern.compile(re.toString());
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
