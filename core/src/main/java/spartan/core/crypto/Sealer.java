package spartan.core.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import spartan.core.Limits;
import spartan.core.Recipient;
import spartan.core.crypto.SealedMessageException.Reason;

/**
 * Seals a message for a set of readers: AES-256-GCM once under a fresh content key, that key
 * wrapped for each reader with a one-time X25519 agreement and HKDF-SHA256 (as age's X25519
 * recipient stanza does), the whole envelope signed with the sender's Ed25519 key. See {@link
 * Envelope} for the bytes and SECURITY.md for the scheme.
 *
 * <p>The sender is always a reader, so their own history stays readable: the sender's copy is
 * wrapped to {@code sender.publicKeys()}, whatever the recipient map says for the sender's name.
 *
 * <p>Thread-safe if the injected {@link SecureRandom} is (the JDK's are). All randomness — content
 * key, nonce, ephemeral keys — comes from it, so a seeded deterministic generator makes sealing
 * reproducible in tests.
 */
public final class Sealer {
  static final byte[] WRAP_INFO = "spartan-e2e/v1/x25519-wrap".getBytes(StandardCharsets.US_ASCII);
  // Each wrap key encrypts exactly one content key, so a constant nonce never repeats under a key.
  static final byte[] WRAP_NONCE = new byte[Primitives.GCM_NONCE_BYTES];

  private final SecureRandom random;
  private final int maxEnvelopeBytes;

  /** A sealer bounded by the service's default envelope limit (40 KiB). */
  public Sealer(SecureRandom random) {
    this(random, Limits.defaults().maxEnvelopeBytes());
  }

  /**
   * @param maxEnvelopeBytes the server's {@code limits.maxEnvelopeBytes}; sealing anything larger
   *     fails up front instead of being refused by the server
   */
  public Sealer(SecureRandom random, int maxEnvelopeBytes) {
    this.random = Objects.requireNonNull(random, "random");
    if (maxEnvelopeBytes <= 0) {
      throw new IllegalArgumentException("maxEnvelopeBytes must be positive");
    }
    this.maxEnvelopeBytes = maxEnvelopeBytes;
  }

  /** {@link #seal(Identity, Envelope.Header, Map, byte[])} with the header spelled out. */
  public byte[] seal(
      Identity sender,
      String senderName,
      Recipient target,
      String clientMsgId,
      Map<String, PublicKeys> recipients,
      byte[] plaintext)
      throws SealedMessageException {
    return seal(
        sender, new Envelope.Header(senderName, target, clientMsgId), recipients, plaintext);
  }

  /**
   * Seals {@code plaintext} from {@code sender} for every entry of {@code recipients} plus the
   * sender. For a direct message pass the one peer; for a group, every current member (the keys the
   * caller has pinned — never keys it has not accepted).
   *
   * @param recipients reader name to pinned public keys; names must be normalised user names
   * @return the envelope's bytes, for {@code MessageBody.sealed}
   * @throws SealedMessageException {@link Reason#TOO_LARGE} if the envelope would exceed the limit
   *     or carry more than {@link Envelope#MAX_RECIPIENTS} readers
   * @throws IllegalArgumentException if a name or the client message id is malformed, or a direct
   *     message's recipients do not include its target
   */
  public byte[] seal(
      Identity sender, Envelope.Header header, Map<String, PublicKeys> recipients, byte[] plaintext)
      throws SealedMessageException {
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(recipients, "recipients");
    Objects.requireNonNull(plaintext, "plaintext");
    // Ascending names: the canonical order the parser insists on.
    TreeMap<String, PublicKeys> readers = new TreeMap<>();
    recipients.forEach(
        (name, keys) -> {
          if (!Envelope.validName(name.getBytes(StandardCharsets.UTF_8))) {
            throw new IllegalArgumentException(
                "recipient '" + name + "' is not a normalised user name");
          }
          readers.put(name, Objects.requireNonNull(keys, "keys of " + name));
        });
    readers.put(header.sender(), sender.publicKeys());
    if (header.target() instanceof Recipient.User peer && !readers.containsKey(peer.name())) {
      throw new IllegalArgumentException(
          "a direct message to " + peer.name() + " must include " + peer.name() + "'s keys");
    }
    if (readers.size() > Envelope.MAX_RECIPIENTS) {
      throw new SealedMessageException(
          Reason.TOO_LARGE,
          readers.size()
              + " readers is more than an envelope carries ("
              + Envelope.MAX_RECIPIENTS
              + ")");
    }
    int size = Envelope.encodedSize(header, readers.keySet(), plaintext.length);
    if (size > maxEnvelopeBytes) {
      throw new SealedMessageException(
          Reason.TOO_LARGE,
          "sealed message would be "
              + size
              + " bytes for "
              + readers.size()
              + " readers, more than the limit of "
              + maxEnvelopeBytes);
    }

    byte[] headerBytes = header.encode();
    byte[] contentKey = new byte[Primitives.KEY_BYTES];
    byte[] nonce = new byte[Primitives.GCM_NONCE_BYTES];
    random.nextBytes(contentKey);
    random.nextBytes(nonce);
    try {
      ByteBuffer out = ByteBuffer.allocate(size);
      out.put(headerBytes);
      out.putShort((short) readers.size());
      for (Map.Entry<String, PublicKeys> reader : readers.entrySet()) {
        wrap(out, headerBytes, reader.getKey(), reader.getValue(), contentKey);
      }
      byte[] ciphertext = Primitives.aesGcmEncrypt(contentKey, nonce, headerBytes, plaintext);
      out.put(nonce);
      out.putInt(ciphertext.length);
      out.put(ciphertext);
      byte[] buf = out.array();
      byte[] signature = sender.sign(Envelope.signedMessage(buf, out.position()));
      out.put(signature);
      if (out.hasRemaining()) {
        throw new IllegalStateException("envelope size was miscomputed");
      }
      return buf;
    } finally {
      Arrays.fill(contentKey, (byte) 0);
    }
  }

  private void wrap(
      ByteBuffer out, byte[] headerBytes, String name, PublicKeys keys, byte[] contentKey)
      throws SealedMessageException {
    byte[] ephemeralPrivate = Primitives.x25519Generate(random);
    byte[] ephemeralPublic = Primitives.x25519Public(ephemeralPrivate);
    byte[] recipientPublic = keys.x25519Raw();
    byte[] shared = Primitives.x25519(ephemeralPrivate, recipientPublic);
    Arrays.fill(ephemeralPrivate, (byte) 0);
    if (shared == null) {
      // PublicKeys rejects low-order points, so this means a bug, but never wrap to a zero secret.
      throw new SealedMessageException(Reason.BAD_KEY, name + "'s X25519 key is unusable");
    }
    byte[] wrapKey = wrapKey(shared, ephemeralPublic, recipientPublic);
    Arrays.fill(shared, (byte) 0);
    byte[] wrapped =
        Primitives.aesGcmEncrypt(
            wrapKey, WRAP_NONCE, Envelope.wrapAssociatedData(headerBytes, name), contentKey);
    Arrays.fill(wrapKey, (byte) 0);
    byte[] n = Envelope.ascii(name);
    out.put((byte) n.length).put(n).put(ephemeralPublic).put(wrapped);
  }

  /** HKDF-SHA256(ikm = shared secret, salt = ephemeral pub || recipient pub, info = label). */
  static byte[] wrapKey(byte[] shared, byte[] ephemeralPublic, byte[] recipientPublic) {
    byte[] salt = new byte[2 * Primitives.KEY_BYTES];
    System.arraycopy(ephemeralPublic, 0, salt, 0, Primitives.KEY_BYTES);
    System.arraycopy(recipientPublic, 0, salt, Primitives.KEY_BYTES, Primitives.KEY_BYTES);
    return Primitives.hkdfSha256(shared, salt, WRAP_INFO, Primitives.KEY_BYTES);
  }
}
