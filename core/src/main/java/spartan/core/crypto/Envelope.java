package spartan.core.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import spartan.core.Limits;
import spartan.core.Names;
import spartan.core.Recipient;
import spartan.core.crypto.SealedMessageException.Reason;

/**
 * A parsed end-to-end envelope (format version 1): who sent it to which user or group, the content
 * key wrapped for each reader, and the body encrypted once.
 *
 * <h2>Encoding</h2>
 *
 * Big-endian integers; names are ASCII {@code [a-z0-9_.-]}, 1–32 bytes (normalised user and group
 * names); the client message id is 1–64 bytes of printable ASCII ({@code 0x21–0x7e}).
 *
 * <pre>
 * u8   version                  0x01
 * u8   sender length, sender
 * u8   target kind              0x01 user, 0x02 group
 * u8   target length, target
 * u8   id length, clientMsgId            ← the bytes so far are the <em>header</em>
 * u16  recipient count          1–1024
 *      per recipient, names strictly ascending (so no duplicates, one canonical order):
 *        u8 name length, name
 *        32 bytes  ephemeral X25519 public key
 *        48 bytes  wrapped content key (AES-256-GCM ciphertext 32 + tag 16)
 * 12   nonce
 * u32  ciphertext length        ≥ 16, ciphertext (plaintext + 16-byte GCM tag)
 * 64   Ed25519 signature over   "spartan-e2e/v1/signature" || every byte before the signature
 * </pre>
 *
 * Fixed cost 96 bytes plus the header (at most 133 bytes) and 2 bytes of count, so at most 231
 * bytes; each recipient costs 81 bytes plus its name (at most 113). {@link #encodedSize} computes
 * the exact size. Parsing is strict: an unknown version, a length out of bounds, a bad name, names
 * out of order, a count beyond the bytes, or any trailing byte is {@link Reason#CORRUPT}.
 *
 * <p>Parsing proves only that the bytes are well formed, not that they are authentic: use {@link
 * Opener}, which verifies the signature before it uses anything. Immutable and thread-safe.
 */
public final class Envelope {
  /** The only version this code writes and reads. */
  public static final int VERSION = 1;

  /** Most recipients (including the sender's own copy) one envelope may carry. */
  public static final int MAX_RECIPIENTS = 1024;

  /** Longest client message id, in bytes (the service allows 64 characters). */
  public static final int MAX_CLIENT_MSG_ID = Limits.MAX_CLIENT_MSG_ID;

  static final byte KIND_USER = 1;
  static final byte KIND_GROUP = 2;
  static final int EPHEMERAL_BYTES = Primitives.KEY_BYTES;
  static final int WRAPPED_KEY_BYTES = Primitives.KEY_BYTES + Primitives.GCM_TAG_BYTES;
  static final byte[] SIGNATURE_LABEL =
      "spartan-e2e/v1/signature".getBytes(StandardCharsets.US_ASCII);

  /** Bytes of an envelope apart from the header, the recipient entries and the plaintext. */
  static final int FIXED_BYTES =
      2 + Primitives.GCM_NONCE_BYTES + 4 + Primitives.GCM_TAG_BYTES + Primitives.SIGNATURE_BYTES;

  /**
   * What every reader's decryption is bound to (the AES-GCM associated data of the body and of
   * every wrapped key): sender, target and client message id.
   *
   * @param sender the sender's normalised user name
   * @param target the user or group the message is addressed to
   * @param clientMsgId the sender's message id (1–64 printable ASCII characters), also given to the
   *     server so the envelope cannot be shown under another id
   * @throws IllegalArgumentException if a field is out of the bounds above
   */
  public record Header(String sender, Recipient target, String clientMsgId) {
    public Header {
      Objects.requireNonNull(sender, "sender");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(clientMsgId, "clientMsgId");
      if (!validName(sender.getBytes(StandardCharsets.UTF_8))) {
        throw new IllegalArgumentException(
            "sender must be a normalised user name (1-32 of a-z 0-9 _ . -)");
      }
      if (!validId(clientMsgId.getBytes(StandardCharsets.UTF_8))) {
        throw new IllegalArgumentException(
            "clientMsgId must be 1-" + MAX_CLIENT_MSG_ID + " printable ASCII characters");
      }
    }

    /** The header's encoding: the envelope's first bytes and the associated data. */
    byte[] encode() {
      byte[] s = ascii(sender);
      byte[] t = ascii(target.name());
      byte[] id = ascii(clientMsgId);
      ByteBuffer b = ByteBuffer.allocate(size());
      b.put((byte) VERSION).put((byte) s.length).put(s);
      b.put(target instanceof Recipient.Group ? KIND_GROUP : KIND_USER);
      b.put((byte) t.length).put(t).put((byte) id.length).put(id);
      return b.array();
    }

    int size() {
      return 5 + sender.length() + target.name().length() + clientMsgId.length();
    }
  }

  /**
   * One reader's copy of the content key.
   *
   * @param recipient the reader's user name
   * @param ephemeral the one-time X25519 public key the wrap key was agreed with (32 bytes)
   * @param wrappedKey the content key under AES-256-GCM with the derived wrap key (48 bytes)
   */
  public record Stanza(String recipient, byte[] ephemeral, byte[] wrappedKey) {
    public Stanza {
      Objects.requireNonNull(recipient, "recipient");
      ephemeral = ephemeral.clone();
      wrappedKey = wrappedKey.clone();
      if (ephemeral.length != EPHEMERAL_BYTES || wrappedKey.length != WRAPPED_KEY_BYTES) {
        throw new IllegalArgumentException("bad stanza lengths");
      }
    }

    @Override
    public byte[] ephemeral() {
      return ephemeral.clone();
    }

    @Override
    public byte[] wrappedKey() {
      return wrappedKey.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Stanza s
          && recipient.equals(s.recipient)
          && Arrays.equals(ephemeral, s.ephemeral)
          && Arrays.equals(wrappedKey, s.wrappedKey);
    }

    @Override
    public int hashCode() {
      return recipient.hashCode() * 31 + Arrays.hashCode(ephemeral);
    }

    @Override
    public String toString() {
      return "Stanza[" + recipient + "]";
    }
  }

  private final byte[] bytes;
  private final Header header;
  private final int headerLength;
  private final List<Stanza> stanzas;
  private final byte[] nonce;
  private final byte[] ciphertext;
  private final byte[] signature;

  private Envelope(
      byte[] bytes,
      Header header,
      int headerLength,
      List<Stanza> stanzas,
      byte[] nonce,
      byte[] ciphertext,
      byte[] signature) {
    this.bytes = bytes;
    this.header = header;
    this.headerLength = headerLength;
    this.stanzas = List.copyOf(stanzas);
    this.nonce = nonce;
    this.ciphertext = ciphertext;
    this.signature = signature;
  }

  /** Parses with the service's default limit ({@link Limits#defaults()}, 40 KiB). */
  public static Envelope parse(byte[] bytes) throws SealedMessageException {
    return parse(bytes, Limits.defaults().maxEnvelopeBytes());
  }

  /**
   * Parses untrusted bytes strictly. Never throws anything but {@link SealedMessageException}
   * ({@link Reason#TOO_LARGE}, {@link Reason#UNSUPPORTED_VERSION} or {@link Reason#CORRUPT}) for
   * any content of {@code bytes}; the array is copied.
   */
  public static Envelope parse(byte[] bytes, int maxBytes) throws SealedMessageException {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > maxBytes) {
      throw new SealedMessageException(
          Reason.TOO_LARGE,
          "envelope is " + bytes.length + " bytes, more than the limit of " + maxBytes);
    }
    byte[] copy = bytes.clone();
    Reader r = new Reader(copy);
    if (copy.length == 0) {
      throw corrupt("empty");
    }
    int version = r.u8();
    if (version != VERSION) {
      throw new SealedMessageException(
          Reason.UNSUPPORTED_VERSION,
          "envelope version "
              + version
              + " is not supported (this client reads version "
              + VERSION
              + "); upgrade the client");
    }
    String sender = r.name("sender");
    int kind = r.u8();
    if (kind != KIND_USER && kind != KIND_GROUP) {
      throw corrupt("unknown target kind " + kind);
    }
    String targetName = r.name("target");
    int idLength = r.u8();
    byte[] id = r.bytes(idLength, "client message id");
    if (!validId(id)) {
      throw corrupt("bad client message id");
    }
    int headerLength = r.position();
    // Names are validated above, so these constructors cannot throw.
    Recipient target = kind == KIND_USER ? Recipient.user(targetName) : Recipient.group(targetName);
    Header header = new Header(sender, target, new String(id, StandardCharsets.US_ASCII));

    int count = r.u16();
    if (count < 1 || count > MAX_RECIPIENTS) {
      throw corrupt("recipient count " + count + " is out of range 1-" + MAX_RECIPIENTS);
    }
    // Each entry takes at least 82 bytes: a count the bytes cannot hold is caught before we
    // allocate anything for it.
    if ((long) count * (1 + 1 + EPHEMERAL_BYTES + WRAPPED_KEY_BYTES) > r.remaining()) {
      throw corrupt("recipient count " + count + " exceeds the envelope");
    }
    List<Stanza> stanzas = new ArrayList<>(count);
    String previous = null;
    for (int i = 0; i < count; i++) {
      String name = r.name("recipient");
      if (previous != null && previous.compareTo(name) >= 0) {
        throw corrupt("recipients are not in strictly ascending order");
      }
      previous = name;
      byte[] eph = r.bytes(EPHEMERAL_BYTES, "ephemeral key");
      byte[] wrapped = r.bytes(WRAPPED_KEY_BYTES, "wrapped key");
      stanzas.add(new Stanza(name, eph, wrapped));
    }
    byte[] nonce = r.bytes(Primitives.GCM_NONCE_BYTES, "nonce");
    long ctLength = r.u32();
    if (ctLength < Primitives.GCM_TAG_BYTES) {
      throw corrupt("ciphertext shorter than its tag");
    }
    if (ctLength + Primitives.SIGNATURE_BYTES != r.remaining()) {
      throw corrupt(
          ctLength + Primitives.SIGNATURE_BYTES > r.remaining()
              ? "ciphertext length exceeds the envelope"
              : "trailing bytes after the signature");
    }
    byte[] ciphertext = r.bytes((int) ctLength, "ciphertext");
    byte[] signature = r.bytes(Primitives.SIGNATURE_BYTES, "signature");
    return new Envelope(copy, header, headerLength, stanzas, nonce, ciphertext, signature);
  }

  /**
   * The exact size of an envelope with this header, these recipient names (the sender's own copy
   * counts: include the sender) and a plaintext of {@code plaintextBytes}.
   */
  public static int encodedSize(
      Header header, Collection<String> recipientNames, int plaintextBytes) {
    long size = header.size() + (long) FIXED_BYTES + plaintextBytes;
    for (String name : recipientNames) {
      size += 1 + name.length() + EPHEMERAL_BYTES + WRAPPED_KEY_BYTES;
    }
    return (int) Math.min(size, Integer.MAX_VALUE);
  }

  public Header header() {
    return header;
  }

  /** The readers' copies, in ascending name order. */
  public List<Stanza> stanzas() {
    return stanzas;
  }

  /** The reader names, in ascending order. */
  public List<String> recipients() {
    return stanzas.stream().map(Stanza::recipient).toList();
  }

  /** The stanza for {@code recipient}, if the envelope has one. */
  public Optional<Stanza> stanzaFor(String recipient) {
    return stanzas.stream().filter(s -> s.recipient().equals(recipient)).findFirst();
  }

  public byte[] nonce() {
    return nonce.clone();
  }

  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  public byte[] signature() {
    return signature.clone();
  }

  /** The envelope's bytes, exactly as parsed. */
  public byte[] bytes() {
    return bytes.clone();
  }

  public int size() {
    return bytes.length;
  }

  // --- package-private views for the opener ---

  byte[] headerBytes() {
    return Arrays.copyOf(bytes, headerLength);
  }

  /** The signed message: the label, then everything before the signature. */
  byte[] signedMessage() {
    return signedMessage(bytes, bytes.length - Primitives.SIGNATURE_BYTES);
  }

  byte[] rawSignature() {
    return signature;
  }

  byte[] rawNonce() {
    return nonce;
  }

  byte[] rawCiphertext() {
    return ciphertext;
  }

  static byte[] signedMessage(byte[] buf, int length) {
    byte[] m = new byte[SIGNATURE_LABEL.length + length];
    System.arraycopy(SIGNATURE_LABEL, 0, m, 0, SIGNATURE_LABEL.length);
    System.arraycopy(buf, 0, m, SIGNATURE_LABEL.length, length);
    return m;
  }

  /** Associated data of one reader's wrapped key: the header, then the reader's name. */
  static byte[] wrapAssociatedData(byte[] header, String recipient) {
    byte[] name = ascii(recipient);
    byte[] aad = Arrays.copyOf(header, header.length + 1 + name.length);
    aad[header.length] = (byte) name.length;
    System.arraycopy(name, 0, aad, header.length + 1, name.length);
    return aad;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Envelope e && MessageDigest.isEqual(bytes, e.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Envelope["
        + header.sender()
        + " -> "
        + header.target()
        + " id="
        + header.clientMsgId()
        + ", "
        + stanzas.size()
        + " recipients, "
        + bytes.length
        + " bytes]";
  }

  static boolean validName(byte[] name) {
    if (name.length < 1 || name.length > Names.MAX_NAME_LENGTH) {
      return false;
    }
    for (byte c : name) {
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static boolean validId(byte[] id) {
    if (id.length < 1 || id.length > MAX_CLIENT_MSG_ID) {
      return false;
    }
    for (byte c : id) {
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static SealedMessageException corrupt(String why) {
    return new SealedMessageException(Reason.CORRUPT, "corrupt envelope: " + why);
  }

  /** Bounds-checked reads over untrusted bytes; every overrun is a CORRUPT failure. */
  private static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    int position() {
      return pos;
    }

    int remaining() {
      return buf.length - pos;
    }

    int u8() throws SealedMessageException {
      need(1, "a length byte");
      return buf[pos++] & 0xff;
    }

    int u16() throws SealedMessageException {
      need(2, "the recipient count");
      int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
      pos += 2;
      return v;
    }

    long u32() throws SealedMessageException {
      need(4, "the ciphertext length");
      long v = 0;
      for (int i = 0; i < 4; i++) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
      pos += 4;
      return v;
    }

    byte[] bytes(int n, String what) throws SealedMessageException {
      need(n, what);
      byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return out;
    }

    String name(String what) throws SealedMessageException {
      byte[] name = bytes(u8(), what + " name");
      if (!validName(name)) {
        throw corrupt("bad " + what + " name");
      }
      return new String(name, StandardCharsets.US_ASCII);
    }

    private void need(int n, String what) throws SealedMessageException {
      if (n > remaining()) {
        throw corrupt("truncated in " + what);
      }
    }
  }
}
