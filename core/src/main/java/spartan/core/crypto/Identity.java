package spartan.core.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import spartan.core.Names;

/**
 * One user's private keys: an X25519 key pair for key agreement and an Ed25519 key pair for
 * signing. Lives only on the user's machine, in a key file readable by the user alone.
 *
 * <h2>Key file</h2>
 *
 * ASCII text, four lines, each {@code name value} with base64 (standard, padded) values:
 *
 * <pre>
 * spartan-identity 1
 * x25519 &lt;32-byte private key&gt;
 * ed25519 &lt;32-byte private seed&gt;
 * public &lt;PublicKeys.toBase64()&gt;
 * </pre>
 *
 * The {@code public} line is redundant on purpose: on load the public keys are derived again and
 * must match, so a damaged private key is reported instead of silently becoming a new identity.
 * {@link #save} creates the file 0600 (its missing directories 0700) and publishes it atomically;
 * {@link #load} refuses a file that other users can read.
 *
 * <p>Immutable and thread-safe. Private keys never leave this package and never appear in {@link
 * #toString()}. Losing the key file loses every message sealed to it: there is no recovery.
 */
public final class Identity {
  private static final String HEADER = "spartan-identity 1";
  private static final int MAX_FILE_BYTES = 1024;

  private final byte[] x25519Private;
  private final byte[] ed25519Seed;
  private final Ed25519PrivateKeyParameters signingKey;
  private final PublicKeys publicKeys;

  private Identity(byte[] x25519Private, byte[] ed25519Seed) {
    this.x25519Private = x25519Private;
    this.ed25519Seed = ed25519Seed;
    this.signingKey = new Ed25519PrivateKeyParameters(ed25519Seed);
    this.publicKeys =
        new PublicKeys(
            Primitives.x25519Public(x25519Private), Primitives.ed25519Public(ed25519Seed));
  }

  /** A fresh identity drawn from {@code random}. */
  public static Identity generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return new Identity(Primitives.x25519Generate(random), Primitives.ed25519Generate(random));
  }

  /** An identity from raw private keys (32-byte X25519 key, 32-byte Ed25519 seed), for tests. */
  static Identity fromPrivateKeys(byte[] x25519Private, byte[] ed25519Seed) {
    return new Identity(x25519Private.clone(), ed25519Seed.clone());
  }

  /**
   * Where a local user's key file lives by default: {@code <home>/.spartan/keys/<user>.identity}.
   * Pass {@code Path.of(System.getProperty("user.home"))} as {@code home}. The name is normalised
   * as {@link Names#user} does (which throws {@code INVALID_ARGUMENT} for a bad one).
   */
  public static Path defaultFile(Path home, String user) {
    return home.resolve(".spartan").resolve("keys").resolve(Names.user(user) + ".identity");
  }

  /**
   * Loads the identity in {@code file}, or generates one and saves it there if there is no file. If
   * another process creates the file at the same moment, its identity wins and is loaded.
   *
   * @throws KeyFileException if the file exists but is corrupt or too open
   * @throws IOException if it cannot be read or written
   */
  public static Identity loadOrCreate(Path file, SecureRandom random) throws IOException {
    if (Files.exists(file)) {
      return load(file);
    }
    Identity fresh = generate(random);
    try {
      fresh.save(file);
      return fresh;
    } catch (java.nio.file.FileAlreadyExistsException raced) {
      return load(file);
    }
  }

  /**
   * Loads an identity saved by {@link #save}.
   *
   * @throws KeyFileException if the file is malformed, its keys are inconsistent, or (on POSIX file
   *     systems) group or others may read or write it
   * @throws IOException if it cannot be read
   */
  public static Identity load(Path file) throws IOException {
    byte[] raw = SecureFiles.readBounded(file, MAX_FILE_BYTES, true);
    String[] lines = new String(raw, StandardCharsets.US_ASCII).split("\n", -1);
    // four lines and the empty string after the final newline
    if (lines.length != 5 || !lines[4].isEmpty() || !lines[0].equals(HEADER)) {
      throw new KeyFileException(file, "not a Spartan identity file (bad header or line count)");
    }
    byte[] x = field(file, lines[1], "x25519", 32);
    byte[] ed = field(file, lines[2], "ed25519", 32);
    byte[] pub = field(file, lines[3], "public", PublicKeys.ENCODED_BYTES);
    Identity id = new Identity(x, ed);
    if (!MessageDigest.isEqual(pub, id.publicKeys.encode())) {
      throw new KeyFileException(file, "private keys do not match the recorded public keys");
    }
    return id;
  }

  private static byte[] field(Path file, String line, String name, int length)
      throws KeyFileException {
    if (!line.startsWith(name + " ")) {
      throw new KeyFileException(file, "expected the '" + name + "' line");
    }
    byte[] value;
    try {
      value = Base64.getDecoder().decode(line.substring(name.length() + 1));
    } catch (IllegalArgumentException e) {
      throw new KeyFileException(file, "the '" + name + "' value is not base64");
    }
    if (value.length != length) {
      throw new KeyFileException(file, "the '" + name + "' value must be " + length + " bytes");
    }
    return value;
  }

  /**
   * Saves this identity to a new file, owner-only (0600) and atomically. Never overwrites: an
   * existing identity is history the user would lose.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists
   * @throws IOException if it cannot be written
   */
  public void save(Path file) throws IOException {
    Base64.Encoder b64 = Base64.getEncoder();
    String text =
        HEADER
            + "\n"
            + "x25519 "
            + b64.encodeToString(x25519Private)
            + "\n"
            + "ed25519 "
            + b64.encodeToString(ed25519Seed)
            + "\n"
            + "public "
            + publicKeys.toBase64()
            + "\n";
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    try {
      SecureFiles.writeAtomically(file, bytes, false);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** The public half, to publish through the server. */
  public PublicKeys publicKeys() {
    return publicKeys;
  }

  byte[] x25519Private() {
    return x25519Private;
  }

  byte[] ed25519Seed() {
    return ed25519Seed;
  }

  /** Ed25519 signature by this identity. */
  byte[] sign(byte[] message) {
    return Primitives.ed25519Sign(signingKey, message);
  }

  /** Same key pairs (compared in constant time). */
  @Override
  public boolean equals(Object o) {
    return o instanceof Identity i
        && MessageDigest.isEqual(x25519Private, i.x25519Private)
        && MessageDigest.isEqual(ed25519Seed, i.ed25519Seed);
  }

  @Override
  public int hashCode() {
    return publicKeys.hashCode();
  }

  @Override
  public String toString() {
    return "Identity[" + publicKeys + "]";
  }
}
