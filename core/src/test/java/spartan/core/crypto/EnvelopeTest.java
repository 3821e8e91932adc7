package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.crypto.SealedMessageException.Reason;

/** Sealing and opening: round trips, the binding of every field, strict parsing, bounds. */
class EnvelopeTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] HELLO = "Hey Bob!".getBytes(StandardCharsets.UTF_8);

  private final Identity alice = Identity.generate(RANDOM);
  private final Identity bob = Identity.generate(RANDOM);
  private final Identity carol = Identity.generate(RANDOM);
  private final Identity eve = Identity.generate(RANDOM);
  private final Sealer sealer = new Sealer(RANDOM);
  private final Opener opener = new Opener();

  private final Envelope.Header toBob = new Envelope.Header("alice", Recipient.user("bob"), "m-1");

  private byte[] sealToBob(byte[] plaintext) throws SealedMessageException {
    return sealer.seal(alice, toBob, Map.of("bob", bob.publicKeys()), plaintext);
  }

  // --- round trips ---

  @Test
  void directMessageOpensForTheRecipientAndForTheSender() throws Exception {
    byte[] env = sealToBob(HELLO);

    assertThat(opener.open(bob, "bob", env, toBob, alice.publicKeys())).isEqualTo(HELLO);
    assertThat(opener.open(alice, "alice", env, toBob, alice.publicKeys())).isEqualTo(HELLO);
    assertThat(Envelope.parse(env).recipients()).containsExactly("alice", "bob");
  }

  @Test
  void groupMessageOpensForEveryMemberAndTheSender() throws Exception {
    Map<String, Identity> members = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      members.put("member" + i, Identity.generate(RANDOM));
    }
    Map<String, PublicKeys> keys = new HashMap<>();
    members.forEach((n, id) -> keys.put(n, id.publicKeys()));
    // The sender is a member too; the sealer uses its own keys for it whatever the map says.
    keys.put("alice", eve.publicKeys());
    Envelope.Header header = new Envelope.Header("alice", Recipient.group("friends"), "g-7");
    byte[] text = "hello group".getBytes(StandardCharsets.UTF_8);

    byte[] env = sealer.seal(alice, header, keys, text);

    for (Map.Entry<String, Identity> m : members.entrySet()) {
      assertThat(opener.open(m.getValue(), m.getKey(), env, header, alice.publicKeys()))
          .isEqualTo(text);
    }
    assertThat(opener.open(alice, "alice", env, header, alice.publicKeys())).isEqualTo(text);
    assertThat(Envelope.parse(env).recipients()).hasSize(21).isSorted();
  }

  @Test
  void emptyAndLargePlaintextsRoundTrip() throws Exception {
    byte[] big = new byte[40_000];
    RANDOM.nextBytes(big);
    for (byte[] text : List.of(new byte[0], big)) {
      byte[] env = sealToBob(text);
      assertThat(opener.open(bob, "bob", env, toBob, alice.publicKeys())).isEqualTo(text);
    }
  }

  @Test
  void opensAMessageAsTheServerDeliversIt() throws Exception {
    byte[] env = sealToBob(HELLO);
    Message delivered =
        new Message(
            42, "alice", Recipient.user("bob"), MessageBody.sealed(env), Instant.EPOCH, "m-1");

    assertThat(opener.open(bob, "bob", delivered, alice.publicKeys())).isEqualTo(HELLO);

    Message noId =
        new Message(
            42, "alice", Recipient.user("bob"), MessageBody.sealed(env), Instant.EPOCH, null);
    assertThat(reasonOf(() -> opener.open(bob, "bob", noId, alice.publicKeys())))
        .isEqualTo(Reason.MISMATCH);
    Message plain =
        new Message(
            42, "alice", Recipient.user("bob"), MessageBody.text("hi"), Instant.EPOCH, "m-1");
    assertThat(reasonOf(() -> opener.open(bob, "bob", plain, alice.publicKeys())))
        .isEqualTo(Reason.CORRUPT);
  }

  // --- who can read ---

  @Test
  void someoneNotAddressedCannotOpen() throws Exception {
    byte[] env = sealToBob(HELLO);

    SealedMessageException e =
        failure(() -> opener.open(eve, "eve", env, toBob, alice.publicKeys()));
    assertThat(e.reason()).isEqualTo(Reason.NOT_ADDRESSED_TO_YOU);
    assertThat(e).hasMessageContaining("not addressed to you");
  }

  @Test
  void theWrongPrivateKeyCannotUnwrapTheRecipientsCopy() throws Exception {
    byte[] env = sealToBob(HELLO);

    // Eve claims to be bob (say she took over bob's account on the server) but lacks his key.
    SealedMessageException e =
        failure(() -> opener.open(eve, "bob", env, toBob, alice.publicKeys()));
    assertThat(e.reason()).isEqualTo(Reason.DECRYPTION_FAILED);
    assertThat(e).hasMessageContaining("cannot unwrap");
  }

  @Test
  void aSignatureUnderAnotherKeyIsRejected() throws Exception {
    byte[] env = sealToBob(HELLO);

    SealedMessageException e = failure(() -> opener.open(bob, "bob", env, toBob, eve.publicKeys()));
    assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(e).hasMessageContaining("signature does not verify");
  }

  @Test
  void anEnvelopeCannotBeShownUnderAnotherSenderTargetOrId() throws Exception {
    byte[] env = sealToBob(HELLO);
    List<Envelope.Header> elsewhere =
        List.of(
            new Envelope.Header("carol", Recipient.user("bob"), "m-1"),
            new Envelope.Header("alice", Recipient.user("carol"), "m-1"),
            new Envelope.Header("alice", Recipient.group("bob"), "m-1"),
            new Envelope.Header("alice", Recipient.user("bob"), "m-2"));

    for (Envelope.Header claimed : elsewhere) {
      // The signature is alice's, so even with her keys the claimed header must match.
      SealedMessageException e =
          failure(() -> opener.open(bob, "bob", env, claimed, alice.publicKeys()));
      assertThat(e.reason()).as(claimed.toString()).isEqualTo(Reason.MISMATCH);
      assertThat(e).hasMessageContaining("does not match");
    }
  }

  // --- tampering ---

  @Test
  void everySingleBitFlipAnywhereIsRejectedAndNeverYieldsText() throws Exception {
    byte[] env =
        sealer.seal(
            alice, toBob, Map.of("bob", bob.publicKeys()), "hi".getBytes(StandardCharsets.UTF_8));
    Set<Reason> seen = EnumSet.noneOf(Reason.class);
    int rejected = 0;

    for (int i = 0; i < env.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] tampered = env.clone();
        tampered[i] ^= (byte) (1 << bit);
        SealedMessageException e =
            failure(() -> opener.open(bob, "bob", tampered, toBob, alice.publicKeys()));
        assertThat(e.getMessage()).isNotBlank();
        seen.add(e.reason());
        rejected++;
      }
    }

    assertThat(rejected).isEqualTo(env.length * 8);
    // The signature is checked before anything is used: a flip either breaks the format or it.
    assertThat(seen)
        .containsOnly(Reason.CORRUPT, Reason.UNSUPPORTED_VERSION, Reason.BAD_SIGNATURE)
        .contains(Reason.BAD_SIGNATURE, Reason.CORRUPT);
  }

  @Test
  void eachFieldFlippedIsRejectedWithAClearMessage() throws Exception {
    byte[] env = sealToBob(HELLO);
    Layout at = new Layout(env);
    Map<String, Integer> fields = new LinkedHashMap<>();
    fields.put("sender", at.sender);
    fields.put("target", at.target);
    fields.put("clientMsgId", at.clientMsgId);
    fields.put("ephemeral key", at.firstStanza + 1 + "alice".length());
    fields.put("wrapped key", at.firstStanza + 1 + "alice".length() + 32);
    fields.put("nonce", at.nonce);
    fields.put("ciphertext", at.ciphertext);
    fields.put("signature", env.length - 1);

    for (Map.Entry<String, Integer> f : fields.entrySet()) {
      byte[] tampered = env.clone();
      // 'a' ^ 2 = 'c', 'b' ^ 1 = 'c', 'm' ^ 1 = 'l': the name fields stay well formed
      tampered[f.getValue()] ^= f.getKey().equals("sender") ? 0x02 : 0x01;
      SealedMessageException e =
          failure(() -> opener.open(bob, "bob", tampered, toBob, alice.publicKeys()));
      assertThat(e.reason()).as(f.getKey()).isEqualTo(Reason.BAD_SIGNATURE);
      assertThat(e).as(f.getKey()).hasMessageContaining("signature does not verify");
    }
  }

  /**
   * Below the signature, the AEAD layers bind the same fields on their own: even a sender who
   * re-signs a doctored envelope cannot move a body or a wrapped key to another header, nonce or
   * reader.
   */
  @Test
  void associatedDataBindsHeaderToBodyAndWrappedKeysEvenWhenResigned() throws Exception {
    byte[] env = sealToBob(HELLO);
    Layout at = new Layout(env);

    // clientMsgId "m-1" -> "m-0": signature re-made, so only the AEAD binding can catch it.
    byte[] otherId = env.clone();
    otherId[at.clientMsgId + 2] = '0';
    Envelope.Header claimed = new Envelope.Header("alice", Recipient.user("bob"), "m-0");
    assertThat(
            reasonOf(
                () -> opener.open(bob, "bob", resign(otherId, alice), claimed, alice.publicKeys())))
        .isEqualTo(Reason.DECRYPTION_FAILED);

    for (int offset : new int[] {at.nonce, at.ciphertext, at.secondStanzaWrapped}) {
      byte[] doctored = env.clone();
      doctored[offset] ^= 0x40;
      assertThat(
              reasonOf(
                  () ->
                      opener.open(bob, "bob", resign(doctored, alice), toBob, alice.publicKeys())))
          .isEqualTo(Reason.DECRYPTION_FAILED);
    }
  }

  @Test
  void aLowOrderEphemeralKeyIsRejectedNotUsed() throws Exception {
    byte[] env = sealToBob(HELLO);
    Layout at = new Layout(env);
    byte[] zeroEphemeral = env.clone();
    Arrays.fill(zeroEphemeral, at.secondStanzaEphemeral, at.secondStanzaEphemeral + 32, (byte) 0);

    SealedMessageException e =
        failure(
            () -> opener.open(bob, "bob", resign(zeroEphemeral, alice), toBob, alice.publicKeys()));
    assertThat(e.reason()).isEqualTo(Reason.BAD_KEY);
    assertThat(e).hasMessageContaining("low-order");
  }

  // --- strict parsing ---

  @Test
  void everyTruncationIsCorruptAndTrailingBytesAreRefused() throws Exception {
    byte[] env = sealToBob(HELLO);
    for (int n = 0; n < env.length; n++) {
      byte[] cut = Arrays.copyOf(env, n);
      assertThat(reasonOf(() -> Envelope.parse(cut))).as("length " + n).isEqualTo(Reason.CORRUPT);
    }
    byte[] longer = Arrays.copyOf(env, env.length + 1);
    assertThat(failure(() -> Envelope.parse(longer))).hasMessageContaining("trailing bytes");
  }

  @Test
  void unknownVersionIsRefusedByName() throws Exception {
    byte[] env = sealToBob(HELLO);
    env[0] = 2;
    SealedMessageException e = failure(() -> Envelope.parse(env));
    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_VERSION);
    assertThat(e).hasMessageContaining("version 2");
  }

  @Test
  void oversizedInputIsRefusedBeforeParsing() {
    SealedMessageException e = failure(() -> Envelope.parse(new byte[40 * 1024 + 1]));
    assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
  }

  @Test
  void malformedFieldsAreCorrupt() throws Exception {
    byte[] env = sealToBob(HELLO);
    Layout at = new Layout(env);
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("upper-case sender", with(env, at.sender, 'A'));
    cases.put("zero-length sender", with(env, at.sender - 1, 0));
    cases.put("unknown target kind", with(env, at.target - 2, 3));
    cases.put("control byte in id", with(env, at.clientMsgId, 0x0a));
    cases.put("zero recipients", with(with(env, at.count, 0), at.count + 1, 0));
    cases.put("too many recipients", with(with(env, at.count, 0x04), at.count + 1, 0x01));
    cases.put("unordered recipients", with(env, at.firstStanza + 1, 'z'));
    cases.put("short ciphertext length", with(with(env, at.nonce + 14, 0), at.nonce + 15, 1));
    cases.put("huge ciphertext length", with(env, at.nonce + 12, 0xff));

    for (Map.Entry<String, byte[]> c : cases.entrySet()) {
      SealedMessageException e = failure(() -> Envelope.parse(c.getValue()));
      assertThat(e.reason()).as(c.getKey()).isEqualTo(Reason.CORRUPT);
      assertThat(e).as(c.getKey()).hasMessageStartingWith("corrupt envelope: ");
    }
  }

  @Test
  void randomGarbageOnlyEverRaisesTheOwnExceptionType() {
    Random random = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      byte[] junk = new byte[random.nextInt(600)];
      random.nextBytes(junk);
      if (junk.length > 0 && random.nextBoolean()) {
        junk[0] = 1; // get past the version byte half the time
      }
      assertThat(catchThrowableOfType(() -> Envelope.parse(junk), SealedMessageException.class))
          .isNotNull();
    }
  }

  // --- bounds ---

  @Test
  void a40KibEnvelopeCarries254ReadersWithLongestNamesAndBody() throws Exception {
    // Worst case: 32-character names, a 64-character id, and a 4,000-character body of 3-byte
    // UTF-8 characters (12,000 bytes): 231 + 12,000 + 254 × 113 = 40,933 ≤ 40,960.
    String sender = "s".repeat(32);
    Identity me = Identity.generate(RANDOM);
    Envelope.Header header =
        new Envelope.Header(sender, Recipient.group("g".repeat(32)), "i".repeat(64));
    byte[] body = "€".repeat(4000).getBytes(StandardCharsets.UTF_8);
    assertThat(body).hasSize(12_000);

    Map<String, PublicKeys> readers = readers(253, bob.publicKeys());
    byte[] env = sealer.seal(me, header, readers, body);
    assertThat(env).hasSize(40_933);
    assertThat(Envelope.parse(env).stanzas()).hasSize(254);
    assertThat(opener.open(bob, "r" + "0".repeat(31), env, header, me.publicKeys()))
        .isEqualTo(body);

    Map<String, PublicKeys> oneMore = readers(254, bob.publicKeys());
    SealedMessageException e = failure(() -> sealer.seal(me, header, oneMore, body));
    assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
    assertThat(e).hasMessageContaining("41046 bytes for 255 readers");
  }

  @Test
  void encodedSizeIsExact() throws Exception {
    byte[] env = sealToBob(HELLO);
    assertThat(Envelope.encodedSize(toBob, List.of("alice", "bob"), HELLO.length))
        .isEqualTo(env.length);
  }

  @Test
  void moreReadersThanTheFormatAllowsIsTooLarge() {
    Sealer roomy = new Sealer(RANDOM, 1 << 20);
    Map<String, PublicKeys> many = readers(Envelope.MAX_RECIPIENTS, bob.publicKeys());
    Envelope.Header toGroup = new Envelope.Header("alice", Recipient.group("everyone"), "m-1");
    SealedMessageException e = failure(() -> roomy.seal(alice, toGroup, many, HELLO));
    assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
    assertThat(e).hasMessageContaining("1025 readers");
  }

  @Test
  void badNamesAndIdsAreProgrammingErrors() {
    assertThatThrownBy(() -> new Envelope.Header("Alice", Recipient.user("bob"), "m"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Envelope.Header("alice", Recipient.user("bob"), "has space"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Envelope.Header("alice", Recipient.user("bob"), "x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sealer.seal(alice, toBob, Map.of("Bob", bob.publicKeys()), HELLO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sealer.seal(alice, toBob, Map.of("carol", carol.publicKeys()), HELLO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must include bob's keys");
  }

  // --- randomness ---

  @Test
  void sealingIsReproducibleFromASeededGenerator() throws Exception {
    byte[] first = new Sealer(seeded(1)).seal(alice, toBob, Map.of("bob", bob.publicKeys()), HELLO);
    byte[] again = new Sealer(seeded(1)).seal(alice, toBob, Map.of("bob", bob.publicKeys()), HELLO);
    byte[] other = new Sealer(seeded(2)).seal(alice, toBob, Map.of("bob", bob.publicKeys()), HELLO);

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void noNonceOrEphemeralKeyRepeatsOver100000Messages() throws Exception {
    int messages = 100_000;
    int threads = 2; // one sealer shared by two threads, as a client's send path may
    Set<String> nonces = ConcurrentHashMap.newKeySet(2 * messages);
    Set<String> ephemerals = ConcurrentHashMap.newKeySet(2 * messages);
    Envelope.Header note = new Envelope.Header("alice", Recipient.user("alice"), "n");
    byte[] one = {1};
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < messages / threads; i++) {
                    Envelope env = Envelope.parse(sealer.seal(alice, note, Map.of(), one));
                    nonces.add(hex(env.nonce()));
                    env.stanzas().forEach(s -> ephemerals.add(hex(s.ephemeral())));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    // One stanza per message (the sender's own copy): any repeat would shrink a set.
    assertThat(nonces).hasSize(messages);
    assertThat(ephemerals).hasSize(messages);
  }

  // --- helpers ---

  /** Offsets of the fields of an envelope from alice to bob (two stanzas). */
  private static final class Layout {
    final int sender;
    final int target;
    final int clientMsgId;
    final int count;
    final int firstStanza;
    final int secondStanzaEphemeral;
    final int secondStanzaWrapped;
    final int nonce;
    final int ciphertext;

    Layout(byte[] env) {
      int p = 1;
      sender = p + 1;
      p = sender + env[p];
      target = p + 2;
      p = target + env[p + 1];
      clientMsgId = p + 1;
      p = clientMsgId + env[p];
      count = p;
      firstStanza = count + 2;
      int second = firstStanza + 1 + env[firstStanza] + 80;
      secondStanzaEphemeral = second + 1 + env[second];
      secondStanzaWrapped = secondStanzaEphemeral + 32;
      nonce = secondStanzaWrapped + 48;
      ciphertext = nonce + 12 + 4;
    }
  }

  /** Re-signs a doctored envelope with {@code signer}'s key, as a malicious sender could. */
  private static byte[] resign(byte[] env, Identity signer) {
    int body = env.length - 64;
    byte[] sig = signer.sign(Envelope.signedMessage(env, body));
    byte[] out = env.clone();
    System.arraycopy(sig, 0, out, body, 64);
    return out;
  }

  private static byte[] with(byte[] env, int offset, int value) {
    byte[] out = env.clone();
    out[offset] = (byte) value;
    return out;
  }

  private static Map<String, PublicKeys> readers(int n, PublicKeys keys) {
    Map<String, PublicKeys> m = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String digits = Integer.toString(i);
      m.put("r" + "0".repeat(31 - digits.length()) + digits, keys);
    }
    return m;
  }

  private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
    // SHA1PRNG seeded before first use is a deterministic stream: fine for reproducibility only.
    SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
    r.setSeed(seed);
    return r;
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }

  interface Call {
    Object run() throws Exception;
  }

  private static SealedMessageException failure(Call call) {
    try {
      Object result = call.run();
      throw new AssertionError("expected a SealedMessageException, got " + result);
    } catch (SealedMessageException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a SealedMessageException, got " + e, e);
    }
  }

  private static Reason reasonOf(Call call) {
    return failure(call).reason();
  }
}
