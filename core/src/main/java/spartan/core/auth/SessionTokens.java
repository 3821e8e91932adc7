package spartan.core.auth;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Session tokens of the form {@code <id>.<secret>}: a 64-bit random lookup id and a 128-bit random
 * secret. The id finds the session in a map; the secret is then compared in constant time, so a
 * lookup's timing never tells an attacker how much of a guessed secret was right.
 */
public final class SessionTokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecureRandom random;

  public SessionTokens(SecureRandom random) {
    this.random = random;
  }

  /** A new token's two halves. */
  public record Token(String id, byte[] secret) {
    public String value() {
      return id + "." + B64.encodeToString(secret);
    }
  }

  public Token next() {
    byte[] id = new byte[8];
    byte[] secret = new byte[16];
    random.nextBytes(id);
    random.nextBytes(secret);
    return new Token(B64.encodeToString(id), secret);
  }

  /** The lookup id of a presented token, or null if it is not well formed. */
  public static String idOf(String token) {
    if (token == null || token.length() > 64) {
      return null;
    }
    int dot = token.indexOf('.');
    return dot <= 0 ? null : token.substring(0, dot);
  }

  /** Whether the presented token's secret equals {@code secret}, in constant time. */
  public static boolean matches(String token, byte[] secret) {
    int dot = token.indexOf('.');
    byte[] presented;
    try {
      presented = B64D.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(presented, secret);
  }
}
