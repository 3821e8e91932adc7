package spartan.core.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import spartan.core.Names;

/**
 * A decimal fingerprint two people read to each other to check that they see the same keys.
 *
 * <p>One user's fingerprint ({@link #of}) is 30 digits, shown as 6 groups of 5: SHA-256 over {@code
 * "spartan-e2e/v1/fingerprint" || u8 len || user name || x25519 || ed25519}, the first 30 bytes
 * taken as six 40-bit big-endian numbers, each reduced mod 100 000 to five digits (as Signal's
 * safety numbers do). 30 digits carry about 99.6 bits, so making another key pair with a given
 * fingerprint costs on the order of 2^99 hashes.
 *
 * <p>A pair's safety number ({@link #safetyNumber}) is the two users' fingerprints concatenated in
 * name order: 60 digits, 12 groups of 5, the same on both sides. Comparing it checks both
 * directions at once.
 *
 * <p>Immutable and thread-safe.
 *
 * @param digits the 30 or 60 decimal digits, without spaces
 */
public record Fingerprint(String digits) {
  private static final byte[] LABEL =
      "spartan-e2e/v1/fingerprint".getBytes(StandardCharsets.US_ASCII);
  private static final int GROUPS = 6;

  public Fingerprint {
    Objects.requireNonNull(digits, "digits");
    if ((digits.length() != 30 && digits.length() != 60)
        || !digits.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("a fingerprint is 30 or 60 decimal digits");
    }
  }

  /**
   * {@code user}'s fingerprint. The name is normalised as {@link Names#user} does, which throws
   * {@code ChatException(INVALID_ARGUMENT)} for a bad one.
   */
  public static Fingerprint of(String user, PublicKeys keys) {
    byte[] name = Names.user(user).getBytes(StandardCharsets.US_ASCII);
    MessageDigest sha = sha256();
    sha.update(LABEL);
    sha.update((byte) name.length);
    sha.update(name);
    sha.update(keys.x25519Raw());
    sha.update(keys.ed25519Raw());
    byte[] h = sha.digest();
    StringBuilder out = new StringBuilder(30);
    for (int g = 0; g < GROUPS; g++) {
      long v = 0;
      for (int i = 0; i < 5; i++) {
        v = (v << 8) | (h[g * 5 + i] & 0xff);
      }
      out.append(String.format("%05d", v % 100_000));
    }
    return new Fingerprint(out.toString());
  }

  /** The safety number of two users: identical whichever side computes it. */
  public static Fingerprint safetyNumber(
      String userA, PublicKeys keysA, String userB, PublicKeys keysB) {
    String a = of(userA, keysA).digits;
    String b = of(userB, keysB).digits;
    boolean aFirst = Names.user(userA).compareTo(Names.user(userB)) <= 0;
    return new Fingerprint(aFirst ? a + b : b + a);
  }

  /** Whether {@code typed} is this fingerprint, ignoring spaces and other non-digits. */
  public boolean matches(String typed) {
    if (typed == null) {
      return false;
    }
    String d = typed.replaceAll("[^0-9]", "");
    return MessageDigest.isEqual(
        d.getBytes(StandardCharsets.US_ASCII), digits.getBytes(StandardCharsets.US_ASCII));
  }

  /** The digits in groups of five separated by spaces, e.g. {@code 12345 67890 …}. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder(digits.length() + digits.length() / 5);
    for (int i = 0; i < digits.length(); i += 5) {
      if (i > 0) {
        out.append(' ');
      }
      out.append(digits, i, i + 5);
    }
    return out.toString();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
