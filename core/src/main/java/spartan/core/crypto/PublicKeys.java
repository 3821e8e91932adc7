package spartan.core.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A user's two public keys as published through the server: an X25519 key that envelopes wrap
 * content keys to, and an Ed25519 key that verifies the envelopes the user signs.
 *
 * <p>Construction validates both keys, so every instance is usable: each is exactly 32 bytes; the
 * X25519 key has its top bit clear and is not a point of small order (an agreement with it would
 * give the all-zero secret); the Ed25519 key is a canonical point in the prime-order subgroup.
 * Invalid input is rejected with {@link IllegalArgumentException} naming the problem — a server
 * receiving keys to publish maps that to {@code INVALID_ARGUMENT}.
 *
 * <p>Wire form ({@link #encode}): 65 bytes, {@code 0x01 || x25519 || ed25519}; {@link #toBase64} is
 * the same bytes in standard base64 with padding (88 characters) for JSON. Immutable and
 * thread-safe; arrays are copied in and out.
 */
public record PublicKeys(byte[] x25519, byte[] ed25519) {
  /** The first byte of the encoding; a later key format gets a new one. */
  public static final byte FORMAT_VERSION = 1;

  /** Length of {@link #encode()}. */
  public static final int ENCODED_BYTES = 1 + 2 * Primitives.KEY_BYTES;

  // Any fixed non-zero scalar does: after clamping it is 8·k' with 0 < k' < the (twist) subgroup
  // orders, so the product is zero exactly when the point's order divides 8, i.e. is small.
  private static final byte[] PROBE_SCALAR = filled((byte) 0x5a);

  public PublicKeys {
    Objects.requireNonNull(x25519, "x25519");
    Objects.requireNonNull(ed25519, "ed25519");
    x25519 = x25519.clone();
    ed25519 = ed25519.clone();
    if (x25519.length != Primitives.KEY_BYTES) {
      throw new IllegalArgumentException(
          "X25519 public key must be 32 bytes, was " + x25519.length);
    }
    if (ed25519.length != Primitives.KEY_BYTES) {
      throw new IllegalArgumentException(
          "Ed25519 public key must be 32 bytes, was " + ed25519.length);
    }
    if ((x25519[31] & 0x80) != 0 || Primitives.x25519(PROBE_SCALAR, x25519) == null) {
      throw new IllegalArgumentException("X25519 public key is not a usable point (low order)");
    }
    if (!Primitives.ed25519ValidPublic(ed25519)) {
      throw new IllegalArgumentException("Ed25519 public key is not a valid curve point");
    }
  }

  /**
   * Decodes {@link #encode()}'s form.
   *
   * @throws IllegalArgumentException for a wrong length, unknown version or invalid key
   */
  public static PublicKeys decode(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length != ENCODED_BYTES) {
      throw new IllegalArgumentException(
          "public keys must be " + ENCODED_BYTES + " bytes, was " + encoded.length);
    }
    if (encoded[0] != FORMAT_VERSION) {
      throw new IllegalArgumentException("unknown public key format " + (encoded[0] & 0xff));
    }
    return new PublicKeys(
        Arrays.copyOfRange(encoded, 1, 33), Arrays.copyOfRange(encoded, 33, ENCODED_BYTES));
  }

  /** Decodes {@link #toBase64()}'s form; {@link IllegalArgumentException} for anything else. */
  public static PublicKeys fromBase64(String text) {
    Objects.requireNonNull(text, "text");
    if (text.length() > 2 * ENCODED_BYTES) {
      throw new IllegalArgumentException("public keys text is too long");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("public keys are not valid base64");
    }
    return decode(bytes);
  }

  public byte[] encode() {
    byte[] out = new byte[ENCODED_BYTES];
    out[0] = FORMAT_VERSION;
    System.arraycopy(x25519, 0, out, 1, 32);
    System.arraycopy(ed25519, 0, out, 33, 32);
    return out;
  }

  public String toBase64() {
    return Base64.getEncoder().encodeToString(encode());
  }

  @Override
  public byte[] x25519() {
    return x25519.clone();
  }

  @Override
  public byte[] ed25519() {
    return ed25519.clone();
  }

  // Package-private views without the copy, for the sealer and opener.
  byte[] x25519Raw() {
    return x25519;
  }

  byte[] ed25519Raw() {
    return ed25519;
  }

  @Override
  public boolean equals(Object o) {
    // Public values, but compare in constant time anyway: pins are compared with this.
    return o instanceof PublicKeys k
        && MessageDigest.isEqual(x25519, k.x25519)
        && MessageDigest.isEqual(ed25519, k.ed25519);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(x25519) + Arrays.hashCode(ed25519);
  }

  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    return "PublicKeys[x25519="
        + hex.formatHex(x25519, 0, 4)
        + "…, ed25519="
        + hex.formatHex(ed25519, 0, 4)
        + "…]";
  }

  private static byte[] filled(byte b) {
    byte[] a = new byte[Primitives.KEY_BYTES];
    Arrays.fill(a, b);
    return a;
  }
}
