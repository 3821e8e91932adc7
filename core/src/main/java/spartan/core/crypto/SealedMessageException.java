package spartan.core.crypto;

import java.util.Objects;

/**
 * Why an envelope could not be sealed or opened. The only exception {@link Envelope#parse}, {@link
 * Opener} and {@link Sealer} throw for anything that depends on the bytes or keys they are given;
 * its message is meant for the person at the client and never contains key or message material.
 *
 * <p>Checked on purpose: a client that forgets to handle a bad envelope would otherwise crash its
 * event loop on the first forged message. Immutable and thread-safe.
 */
public final class SealedMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The closed set of failure kinds, so a client can choose what to tell the user. */
  public enum Reason {
    /** The bytes are not a well-formed envelope (bad length, trailing bytes, bad name …). */
    CORRUPT,
    /** The envelope's version byte is not one this code understands. */
    UNSUPPORTED_VERSION,
    /** The envelope is larger than the configured limit, or would be when sealing. */
    TOO_LARGE,
    /** The Ed25519 signature does not verify under the sender's pinned key. */
    BAD_SIGNATURE,
    /** Sender, target or client message id differ from what the server says they are. */
    MISMATCH,
    /** There is no wrapped key for the reader in the envelope. */
    NOT_ADDRESSED_TO_YOU,
    /** A wrapped key or the body failed authenticated decryption. */
    DECRYPTION_FAILED,
    /** A public key is unusable (a low-order X25519 point, say). */
    BAD_KEY
  }

  private final Reason reason;

  public SealedMessageException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
