package spartan.core.crypto;

import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.InvalidCipherTextException;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.crypto.SealedMessageException.Reason;

/**
 * Opens envelopes made by {@link Sealer}. Checks, in this order, and stops at the first failure:
 *
 * <ol>
 *   <li>the bytes parse strictly ({@link Reason#TOO_LARGE}, {@link Reason#UNSUPPORTED_VERSION},
 *       {@link Reason#CORRUPT});
 *   <li>the Ed25519 signature verifies under the sender's pinned key ({@link Reason#BAD_SIGNATURE})
 *       — nothing in the envelope is used before this;
 *   <li>sender, target and client message id equal what the caller expects, i.e. what the server
 *       says about the message ({@link Reason#MISMATCH}), so an envelope cannot be replayed into
 *       another conversation or under another sender;
 *   <li>there is a copy of the content key for the reader ({@link Reason#NOT_ADDRESSED_TO_YOU});
 *   <li>the wrapped key and then the body decrypt and authenticate ({@link
 *       Reason#DECRYPTION_FAILED}).
 * </ol>
 *
 * Returns the plaintext only when every check passed; never partial text. Stateless and
 * thread-safe.
 */
public final class Opener {
  private final int maxEnvelopeBytes;

  /** An opener bounded by the service's default envelope limit (40 KiB). */
  public Opener() {
    this(Limits.defaults().maxEnvelopeBytes());
  }

  public Opener(int maxEnvelopeBytes) {
    if (maxEnvelopeBytes <= 0) {
      throw new IllegalArgumentException("maxEnvelopeBytes must be positive");
    }
    this.maxEnvelopeBytes = maxEnvelopeBytes;
  }

  /**
   * Opens a received (or, for the sender, a stored) sealed message, taking sender, target and
   * client message id from the server's {@link Message}.
   *
   * @param senderKeys the keys pinned for {@code message.from()}
   * @throws SealedMessageException if the body is not sealed, has no client message id, or fails
   *     any check above
   */
  public byte[] open(Identity me, String myName, Message message, PublicKeys senderKeys)
      throws SealedMessageException {
    Objects.requireNonNull(message, "message");
    if (!(message.body() instanceof MessageBody.Sealed sealed)) {
      throw new SealedMessageException(Reason.CORRUPT, "message is not sealed");
    }
    Envelope.Header expected;
    try {
      expected = new Envelope.Header(message.from(), message.to(), message.clientMsgId());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new SealedMessageException(
          Reason.MISMATCH, "sealed message has no valid client message id or sender");
    }
    return open(me, myName, sealed.envelope(), expected, senderKeys);
  }

  /**
   * Opens {@code envelope} for {@code myName}.
   *
   * @param me the reader's identity
   * @param myName the reader's user name (the sender's own name, to read their own copy)
   * @param expected sender, target and client message id as the server reports them
   * @param senderKeys the keys the reader has pinned for {@code expected.sender()}
   * @return the plaintext
   * @throws SealedMessageException with the first failed check's {@link Reason}
   */
  public byte[] open(
      Identity me, String myName, byte[] envelope, Envelope.Header expected, PublicKeys senderKeys)
      throws SealedMessageException {
    Objects.requireNonNull(me, "me");
    Objects.requireNonNull(myName, "myName");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(senderKeys, "senderKeys");
    Envelope env = Envelope.parse(envelope, maxEnvelopeBytes);

    if (!Primitives.ed25519Verify(
        senderKeys.ed25519Raw(), env.signedMessage(), env.rawSignature())) {
      throw new SealedMessageException(
          Reason.BAD_SIGNATURE,
          "signature does not verify: the message was altered or not sent by " + expected.sender());
    }
    Envelope.Header actual = env.header();
    if (!actual.sender().equals(expected.sender())) {
      throw mismatch("sender", actual.sender(), expected.sender());
    }
    if (!actual.target().equals(expected.target())) {
      throw mismatch("target", actual.target().toString(), expected.target().toString());
    }
    if (!actual.clientMsgId().equals(expected.clientMsgId())) {
      throw mismatch("message id", actual.clientMsgId(), expected.clientMsgId());
    }
    Envelope.Stanza stanza =
        env.stanzaFor(myName)
            .orElseThrow(
                () ->
                    new SealedMessageException(
                        Reason.NOT_ADDRESSED_TO_YOU,
                        "not addressed to you: the message has no key for " + myName));

    byte[] headerBytes = env.headerBytes();
    byte[] contentKey = unwrap(me, myName, stanza, headerBytes);
    try {
      return Primitives.aesGcmDecrypt(contentKey, env.rawNonce(), headerBytes, env.rawCiphertext());
    } catch (InvalidCipherTextException e) {
      throw new SealedMessageException(
          Reason.DECRYPTION_FAILED, "message body does not decrypt (altered or corrupt)");
    } finally {
      Arrays.fill(contentKey, (byte) 0);
    }
  }

  private static byte[] unwrap(Identity me, String myName, Envelope.Stanza stanza, byte[] header)
      throws SealedMessageException {
    byte[] ephemeral = stanza.ephemeral();
    byte[] shared = Primitives.x25519(me.x25519Private(), ephemeral);
    if (shared == null) {
      throw new SealedMessageException(
          Reason.BAD_KEY, "corrupt envelope: its ephemeral key is a low-order point");
    }
    byte[] wrapKey = Sealer.wrapKey(shared, ephemeral, me.publicKeys().x25519Raw());
    Arrays.fill(shared, (byte) 0);
    try {
      return Primitives.aesGcmDecrypt(
          wrapKey,
          Sealer.WRAP_NONCE,
          Envelope.wrapAssociatedData(header, myName),
          stanza.wrappedKey());
    } catch (InvalidCipherTextException e) {
      throw new SealedMessageException(
          Reason.DECRYPTION_FAILED,
          "cannot unwrap the message key: it was not sealed to your current key, or was altered");
    } finally {
      Arrays.fill(wrapKey, (byte) 0);
    }
  }

  private static SealedMessageException mismatch(String field, String inside, String outside) {
    return new SealedMessageException(
        Reason.MISMATCH,
        "envelope " + field + " '" + inside + "' does not match the server's '" + outside + "'");
  }
}
