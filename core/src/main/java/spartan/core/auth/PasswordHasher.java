package spartan.core.auth;

/** Hashes and checks passwords. Implementations are thread-safe and deliberately slow. */
public interface PasswordHasher {

  /** A self-describing hash string (algorithm, parameters, salt, hash) to store. */
  String hash(char[] password);

  /** Whether {@code password} matches {@code stored}, compared in constant time. */
  boolean verify(char[] password, String stored);
}
