package spartan.core.crypto;

import java.security.SecureRandom;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The four primitives the scheme uses, as thin stateless calls on BouncyCastle's lightweight API.
 *
 * <p>Why the lightweight API rather than the JCA with the BC provider: keys here are raw 32-byte
 * strings (RFC 7748 / RFC 8032 encodings), which the JCA would wrap in X.509/PKCS#8 structures we
 * would only unwrap again; no global {@code Security.addProvider} is needed; and BC's X25519
 * reports the all-zero shared secret of a low-order point, which we must reject. Nothing here
 * implements a primitive: every line delegates to BouncyCastle.
 */
final class Primitives {
  static final int KEY_BYTES = 32;
  static final int GCM_NONCE_BYTES = 12;
  static final int GCM_TAG_BYTES = 16;
  static final int SIGNATURE_BYTES = 64;

  private Primitives() {}

  // --- X25519 (RFC 7748) ---

  static byte[] x25519Generate(SecureRandom random) {
    return new X25519PrivateKeyParameters(random).getEncoded();
  }

  static byte[] x25519Public(byte[] privateKey) {
    return new X25519PrivateKeyParameters(privateKey).generatePublicKey().getEncoded();
  }

  /**
   * The X25519 shared secret, or {@code null} when it is all zeros — which happens exactly when
   * {@code publicKey} is a point of small order, and which RFC 7748 section 6.1 says to reject.
   */
  static byte[] x25519(byte[] privateKey, byte[] publicKey) {
    byte[] secret = new byte[KEY_BYTES];
    try {
      new X25519PrivateKeyParameters(privateKey)
          .generateSecret(new X25519PublicKeyParameters(publicKey), secret, 0);
    } catch (IllegalStateException allZero) {
      // BC's "X25519 agreement failed": the result was the all-zero value.
      return null;
    }
    return secret;
  }

  // --- HKDF (RFC 5869) ---

  static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }

  // --- AES-256-GCM (NIST SP 800-38D), 128-bit tag appended to the ciphertext ---

  static byte[] aesGcmEncrypt(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    GCMModeCipher gcm = gcm(true, key, nonce, aad);
    byte[] out = new byte[gcm.getOutputSize(plaintext.length)];
    int n = gcm.processBytes(plaintext, 0, plaintext.length, out, 0);
    try {
      gcm.doFinal(out, n);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("GCM encryption cannot fail", e);
    }
    return out;
  }

  /** Decrypts and checks the tag; throws when the tag does not match (or the input is short). */
  static byte[] aesGcmDecrypt(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext)
      throws InvalidCipherTextException {
    if (ciphertext.length < GCM_TAG_BYTES) {
      throw new InvalidCipherTextException("ciphertext shorter than the tag");
    }
    GCMModeCipher gcm = gcm(false, key, nonce, aad);
    byte[] out = new byte[gcm.getOutputSize(ciphertext.length)];
    int n = gcm.processBytes(ciphertext, 0, ciphertext.length, out, 0);
    gcm.doFinal(out, n);
    return out;
  }

  private static GCMModeCipher gcm(boolean encrypt, byte[] key, byte[] nonce, byte[] aad) {
    GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
    gcm.init(encrypt, new AEADParameters(new KeyParameter(key), GCM_TAG_BYTES * 8, nonce, aad));
    return gcm;
  }

  // --- Ed25519 (RFC 8032, pure) ---

  static byte[] ed25519Generate(SecureRandom random) {
    return new Ed25519PrivateKeyParameters(random).getEncoded();
  }

  static byte[] ed25519Public(byte[] seed) {
    return new Ed25519PrivateKeyParameters(seed).generatePublicKey().getEncoded();
  }

  static byte[] ed25519Sign(byte[] seed, byte[] message) {
    return ed25519Sign(new Ed25519PrivateKeyParameters(seed), message);
  }

  /** Signs with a parsed key, which caches its public half (signing needs it) across calls. */
  static byte[] ed25519Sign(Ed25519PrivateKeyParameters key, byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  static boolean ed25519Verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_BYTES || !ed25519ValidPublic(publicKey)) {
      return false;
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, new Ed25519PublicKeyParameters(publicKey));
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  /** Full point validation: canonical encoding, on the curve, in the prime-order subgroup. */
  static boolean ed25519ValidPublic(byte[] publicKey) {
    return publicKey.length == KEY_BYTES && Ed25519.validatePublicKeyFull(publicKey, 0);
  }
}
