package spartan.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.Names;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.crypto.Fingerprint;
import spartan.core.crypto.Identity;
import spartan.core.crypto.KeyPins;
import spartan.core.crypto.Opener;
import spartan.core.crypto.PinStatus;
import spartan.core.crypto.PublicKeys;
import spartan.core.crypto.SealedMessageException;
import spartan.core.crypto.Sealer;

/**
 * The client's end-to-end encryption (SECURITY.md, "Client behaviour"): the logged-in user's {@link
 * Identity} and {@link KeyPins}, contacts' published keys fetched once per session with trust on
 * first use applied, and sealing and opening of message bodies.
 *
 * <p>A contact whose published keys differ from the pin is announced once and then refused both
 * ways (nothing sealed to the new keys, nothing opened with them) until {@link #acceptKey}. Keys
 * are never used without being pinned first.
 *
 * <p>Thread-safe: the REPL thread seals and runs commands while event threads open messages; state
 * is guarded by this object's monitor. Methods that take a session may block on the server.
 */
final class Encryption {
  private static final Logger log = LoggerFactory.getLogger(Encryption.class);

  /**
   * Where key files live: {@code <identityDir>/<user>.identity} and {@code <pinsDir>/<user>.pins}.
   */
  record KeyFiles(Path identityDir, Path pinsDir) {
    /**
     * The defaults under a home directory: {@code ~/.spartan/keys/} and {@code ~/.spartan/pins/}.
     */
    static KeyFiles underHome(Path home) {
      return new KeyFiles(
          Identity.defaultFile(home, "x").getParent(), KeyPins.defaultFile(home, "x").getParent());
    }

    /** Identity and pins both in {@code dir} (the {@code --keys DIR} option). */
    static KeyFiles in(Path dir) {
      return new KeyFiles(dir, dir);
    }

    Path identity(String user) {
      return identityDir.resolve(Names.user(user) + ".identity");
    }

    Path pins(String user) {
      return pinsDir.resolve(Names.user(user) + ".pins");
    }
  }

  /** What is known about a contact's keys in this session. */
  sealed interface Contact {
    /** Keys pinned and currently published unchanged (or one's own keys). */
    record Trusted(PublicKeys keys) implements Contact {}

    /** The contact has published no (usable) keys. */
    record NoKeys() implements Contact {}

    /** Published keys differ from the pin; neither is used until the user accepts the new ones. */
    record Changed(PublicKeys pinned, PublicKeys published) implements Contact {}
  }

  /** A message ready to send, or why it is not sent, decided before anything is sent. */
  sealed interface Outgoing {
    /** Seal for these readers (the sender is added by the sealer). */
    record Seal(Map<String, PublicKeys> readers) implements Outgoing {}

    /** Send as plain text only if the person says yes to {@code question}. */
    record AskPlain(String question) implements Outgoing {}

    /** Send as plain text: encryption is off, or the person already agreed here. */
    record Plain() implements Outgoing {}

    /** Do not send; {@code why} is a sentence for the person. */
    record Refuse(String why) implements Outgoing {}
  }

  private final KeyFiles files;
  private final boolean enabled;
  private final Supplier<Session> session;
  private final Printer printer;
  private final SecureRandom random = new SecureRandom();
  private final Sealer sealer = new Sealer(random, Limits.defaults().maxEnvelopeBytes());
  private final Opener opener = new Opener();

  private String me;
  private Identity identity;
  private KeyPins pins;

  /** Contacts seen this session; NoKeys is not cached so a late publication is noticed. */
  private final Map<String, Contact> contacts = new HashMap<>();

  /** Contacts whose key change has been announced (once per login). */
  private final Set<String> warned = new HashSet<>();

  /**
   * Per group, the members the last message was sealed for: a member not in it is announced, with
   * their fingerprint, before anything is sealed for them (once per login).
   */
  private final Map<String, Set<String>> sealedTo = new HashMap<>();

  /** Users whose first-seen key was shown with its fingerprint (once per login). */
  private final Set<String> introduced = new HashSet<>();

  /** Conversations the person agreed to send plain text to (once per login). */
  private final Set<Recipient> plainAgreed = new HashSet<>();

  /**
   * @param files where the identity and pins are kept
   * @param enabled false for {@code --no-e2e}: everything is sent as plain text and sealed messages
   *     are not opened
   * @param session the current session (throws when logged out)
   * @param printer for the announcements (key changed, key files unusable)
   */
  Encryption(KeyFiles files, boolean enabled, Supplier<Session> session, Printer printer) {
    this.files = files;
    this.enabled = enabled;
    this.session = session;
    this.printer = printer;
  }

  /**
   * After a login: loads or creates {@code user}'s identity and pins and publishes the public keys.
   * A key file that cannot be used is announced; messages are then not sealed (each send asks) and
   * not opened.
   */
  synchronized void start(String user) {
    identity = null;
    pins = null;
    me = user;
    contacts.clear();
    warned.clear();
    plainAgreed.clear();
    sealedTo.clear();
    introduced.clear();
    if (!enabled) {
      return;
    }
    try {
      identity = Identity.loadOrCreate(files.identity(user), random);
      pins = KeyPins.open(files.pins(user));
    } catch (IOException | RuntimeException e) {
      log.warn("cannot use the key files of {}", user, e);
      identity = null;
      pins = null;
      printer.keyFilesUnusable(e.getMessage());
      return;
    }
    publish();
  }

  /** After a reconnect: publishes again and forgets fetched keys (they may have changed). */
  synchronized void resumed() {
    contacts.clear();
    if (identity != null) {
      publish();
    }
  }

  private void publish() {
    try {
      session.get().publishKeys(identity.publicKeys().encode());
    } catch (ChatException e) {
      log.info("publishing keys failed: {}", e.toString());
      printer.publishFailed(e.getMessage());
    }
  }

  /** Decides how a message to {@code to} goes out; may fetch keys and the group's members. */
  synchronized Outgoing prepare(Recipient to) {
    if (!enabled) {
      return new Outgoing.Plain();
    }
    List<String> readers = new ArrayList<>();
    if (to instanceof Recipient.User u) {
      readers.add(u.name());
    } else {
      readers.addAll(members(to.name()));
    }
    readers.remove(me);
    if (identity == null) {
      return plainAgreed.contains(to)
          ? new Outgoing.Plain()
          : new Outgoing.AskPlain(Printer.unavailableQuestion());
    }
    Map<String, PublicKeys> keys = new LinkedHashMap<>();
    List<String> without = new ArrayList<>();
    Set<String> firstSeen = new HashSet<>();
    for (String r : readers) {
      if (pins.pinned(r).isEmpty()) {
        firstSeen.add(r); // contact() pins it now: say so below, never silently
      }
      // Fetched afresh for every send, so a key changed since the last one is caught before
      // anything is sealed; the pin still decides which keys are used.
      contacts.remove(r);
      Contact c = contact(r);
      if (c instanceof Contact.Trusted t) {
        keys.put(r, t.keys());
      } else if (c instanceof Contact.Changed) {
        return new Outgoing.Refuse(Printer.notSentKeyChanged(r));
      } else {
        without.add(r);
      }
    }
    if (without.isEmpty()) {
      if (to instanceof Recipient.Group g) {
        announceNewReaders(g.name(), keys, firstSeen);
      }
      return new Outgoing.Seal(keys); // sealed again as soon as everyone has keys
    }
    return plainAgreed.contains(to)
        ? new Outgoing.Plain()
        : new Outgoing.AskPlain(Printer.noKeysQuestion(without));
  }

  /**
   * Shows each member of {@code group} this client has not sealed for before (this login), with
   * their fingerprint, so a member the server added is never sealed to without a word; then
   * remembers the readers (a removed member drops out and is announced again if re-added).
   */
  private void announceNewReaders(
      String group, Map<String, PublicKeys> readers, Set<String> firstSeen) {
    Set<String> before = sealedTo.get(group);
    for (Map.Entry<String, PublicKeys> r : readers.entrySet()) {
      if (before == null || !before.contains(r.getKey())) {
        introduced.add(r.getKey());
        printer.newGroupReader(
            group,
            r.getKey(),
            Fingerprint.of(r.getKey(), r.getValue()),
            firstSeen.contains(r.getKey()));
      }
    }
    sealedTo.put(group, new HashSet<>(readers.keySet()));
  }

  /**
   * Remembers that the person agreed to plain text for {@code to} until the next login, for as long
   * as some reader there has no keys.
   */
  synchronized void agreePlain(Recipient to) {
    plainAgreed.add(to);
  }

  /** Seals {@code text}; the envelope's bytes for {@code MessageBody.sealed}. */
  synchronized byte[] seal(
      Recipient to, String clientMsgId, Map<String, PublicKeys> readers, String text)
      throws SealedMessageException {
    return sealer.seal(
        identity, me, to, clientMsgId, readers, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Opens a sealed message with the sender's pinned keys (one's own for one's own copies).
   *
   * @return the plaintext
   * @throws SealedMessageException why it cannot be shown, as a sentence fragment
   */
  String open(Message m) throws SealedMessageException {
    PublicKeys senderKeys;
    Identity id;
    String name;
    synchronized (this) {
      if (!enabled) {
        throw new SealedMessageException(
            SealedMessageException.Reason.NOT_ADDRESSED_TO_YOU, "encryption is off in this client");
      }
      if (identity == null) {
        throw new SealedMessageException(
            SealedMessageException.Reason.BAD_KEY, "your key files cannot be used");
      }
      id = identity;
      name = me;
      boolean firstSeen = !m.from().equals(me) && pins.pinned(m.from()).isEmpty();
      Contact c = contact(m.from());
      if (c instanceof Contact.Trusted t) {
        senderKeys = t.keys();
        if (firstSeen && m.to() instanceof Recipient.Group g && introduced.add(m.from())) {
          // A group member this user never dealt with: pinned now, and shown, not silently.
          printer.newGroupSender(g.name(), m.from(), Fingerprint.of(m.from(), t.keys()));
        }
      } else if (c instanceof Contact.Changed) {
        throw keyChanged(m.from());
      } else {
        throw new SealedMessageException(
            SealedMessageException.Reason.BAD_KEY, m.from() + " has published no encryption keys");
      }
    }
    try {
      return new String(opener.open(id, name, m, senderKeys), StandardCharsets.UTF_8);
    } catch (SealedMessageException e) {
      if (e.reason() == SealedMessageException.Reason.BAD_SIGNATURE && recheck(m.from())) {
        throw keyChanged(m.from());
      }
      throw e;
    }
  }

  private static SealedMessageException keyChanged(String user) {
    return new SealedMessageException(
        SealedMessageException.Reason.BAD_KEY, Printer.keyChangedReason(user));
  }

  /**
   * After a signature failed with cached keys: fetches the sender's keys again, which announces a
   * key change the cache had hidden. Returns whether the key has changed.
   */
  private synchronized boolean recheck(String user) {
    if (user.equals(me)) {
      return false;
    }
    contacts.remove(user);
    return contact(user) instanceof Contact.Changed;
  }

  /** Prints {@code user}'s fingerprint, one's own, and the pair's safety number. */
  synchronized void fingerprint(String who) {
    if (!ready()) {
      return;
    }
    String user = Names.user(who);
    PublicKeys mine = identity.publicKeys();
    if (user.equals(me)) {
      printer.ownFingerprint(me, Fingerprint.of(me, mine));
      return;
    }
    contacts.remove(user); // what is published now, not what was cached
    Contact c = contact(user);
    if (c instanceof Contact.Trusted t) {
      printer.fingerprints(
          user,
          Fingerprint.of(user, t.keys()),
          me,
          Fingerprint.of(me, mine),
          Fingerprint.safetyNumber(me, mine, user, t.keys()));
    } else if (c instanceof Contact.Changed ch) {
      printer.changedFingerprints(
          user,
          Fingerprint.of(user, ch.pinned()),
          Fingerprint.of(user, ch.published()),
          Fingerprint.safetyNumber(me, mine, user, ch.published()));
    } else {
      printer.noKeys(user);
    }
  }

  /** Pins the keys {@code user} publishes now, replacing a changed pin. */
  synchronized void acceptKey(String who) {
    if (!ready()) {
      return;
    }
    String user = Names.user(who);
    Optional<PublicKeys> published = fetch(user);
    if (published.isEmpty()) {
      printer.noKeys(user);
      return;
    }
    try {
      Optional<PublicKeys> old = pins.pinned(user);
      pins.accept(user, published.get());
      contacts.put(user, new Contact.Trusted(published.get()));
      warned.remove(user);
      printer.keyAccepted(
          user,
          old.isPresent() && !old.get().equals(published.get()),
          Fingerprint.of(user, published.get()));
    } catch (IOException e) {
      log.warn("cannot save the pins", e);
      printer.keyFilesUnusable(e.getMessage());
    }
  }

  private boolean ready() {
    if (!enabled) {
      printer.encryptionOff();
      return false;
    }
    if (identity == null) {
      printer.encryptionUnavailable();
      return false;
    }
    return true;
  }

  /** Caller holds the monitor. */
  private Contact contact(String user) {
    if (user.equals(me)) {
      return new Contact.Trusted(identity.publicKeys());
    }
    Contact known = contacts.get(user);
    if (known != null) {
      return known;
    }
    Optional<PublicKeys> published = fetch(user);
    if (published.isEmpty()) {
      return new Contact.NoKeys();
    }
    Contact c;
    try {
      PinStatus status = pins.observe(user, published.get());
      c =
          status == PinStatus.CHANGED
              ? new Contact.Changed(pins.pinned(user).orElseThrow(), published.get())
              : new Contact.Trusted(published.get());
    } catch (IOException e) {
      // Not pinned, so not trusted: better to refuse than to use unpinned keys.
      log.warn("cannot save the pins", e);
      printer.keyFilesUnusable(e.getMessage());
      return new Contact.NoKeys();
    }
    contacts.put(user, c);
    if (c instanceof Contact.Changed && warned.add(user)) {
      printer.keyChanged(user);
    }
    return c;
  }

  private Optional<PublicKeys> fetch(String user) {
    Optional<byte[]> bundle;
    try {
      bundle = session.get().fetchKeys(user);
    } catch (ChatException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
    if (bundle.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(PublicKeys.decode(bundle.get()));
    } catch (IllegalArgumentException e) {
      log.info("{} published unusable keys: {}", user, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The members the server says {@code group} has now; empty if this user is not in it (the
   * server then refuses the send).
   */
  private List<String> members(String group) {
    try {
      return new ArrayList<>(session.get().groupInfo(group).members());
    } catch (ChatException e) {
      if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.PERMISSION_DENIED) {
        return new ArrayList<>();
      }
      throw e;
    }
  }
}
