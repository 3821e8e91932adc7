package spartan.core.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import spartan.core.Names;

/**
 * Trust-on-first-use pins of contacts' public keys, for one local user, kept in a file.
 *
 * <p>The first keys seen for a contact are pinned; later keys that differ are reported as {@link
 * PinStatus#CHANGED} and not pinned, so {@link #pinned} keeps returning the old keys (which the
 * caller uses to verify and seal) until the user accepts the new ones with {@link #accept} —
 * typically after comparing {@link Fingerprint}s out of band. A server that swaps a key after first
 * contact is thereby noticed; one that swaps it before first contact is caught only by a
 * fingerprint comparison.
 *
 * <h2>File</h2>
 *
 * ASCII, {@code spartan-pins 1} then one line per contact, {@code <user> <PublicKeys.toBase64()>},
 * sorted by user. Every change rewrites it atomically, owner-only (0600). A malformed file is a
 * {@link KeyFileException}: pins are never silently dropped, as that would re-open first use.
 *
 * <p>Thread-safe (methods are synchronized). User names are normalised as {@link Names#user} does,
 * which throws {@code ChatException(INVALID_ARGUMENT)} for a bad name. Not safe for two processes
 * writing the same file at once; each process should own its user's file.
 */
public final class KeyPins {
  private static final String HEADER = "spartan-pins 1";

  /** Enough for 100 000 contacts; a larger file is not one this class wrote. */
  private static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

  private final Path file;
  private final TreeMap<String, PublicKeys> pins;

  private KeyPins(Path file, TreeMap<String, PublicKeys> pins) {
    this.file = file;
    this.pins = pins;
  }

  /** Where a local user's pins live by default: {@code <home>/.spartan/pins/<user>.pins}. */
  public static Path defaultFile(Path home, String user) {
    return home.resolve(".spartan").resolve("pins").resolve(Names.user(user) + ".pins");
  }

  /**
   * Opens the pins in {@code file}; a missing file is an empty set of pins (created on the first
   * change).
   *
   * @throws KeyFileException if the file is malformed or other users may read or write it
   */
  public static KeyPins open(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    byte[] raw;
    try {
      raw = SecureFiles.readBounded(file, MAX_FILE_BYTES, true);
    } catch (NoSuchFileException none) {
      return new KeyPins(file, new TreeMap<>());
    }
    String[] lines = new String(raw, StandardCharsets.US_ASCII).split("\n", -1);
    if (lines.length < 2 || !lines[0].equals(HEADER) || !lines[lines.length - 1].isEmpty()) {
      throw new KeyFileException(file, "not a Spartan pins file (bad header or last line)");
    }
    TreeMap<String, PublicKeys> pins = new TreeMap<>();
    for (int i = 1; i < lines.length - 1; i++) {
      String[] parts = lines[i].split(" ", -1);
      if (parts.length != 2 || !Envelope.validName(parts[0].getBytes(StandardCharsets.UTF_8))) {
        throw new KeyFileException(file, "line " + (i + 1) + " is not '<user> <keys>'");
      }
      try {
        if (pins.put(parts[0], PublicKeys.fromBase64(parts[1])) != null) {
          throw new KeyFileException(file, "line " + (i + 1) + " pins " + parts[0] + " twice");
        }
      } catch (IllegalArgumentException e) {
        throw new KeyFileException(file, "line " + (i + 1) + ": " + e.getMessage());
      }
    }
    return new KeyPins(file, pins);
  }

  /**
   * Compares the keys a contact currently publishes with the pin: pins them if this is the first
   * sight ({@link PinStatus#NEW}), otherwise changes nothing.
   *
   * @throws IOException if a new pin cannot be saved (it is then not pinned)
   */
  public synchronized PinStatus observe(String user, PublicKeys published) throws IOException {
    String u = Names.user(user);
    Objects.requireNonNull(published, "published");
    PublicKeys pinned = pins.get(u);
    if (pinned == null) {
      put(u, published);
      return PinStatus.NEW;
    }
    return pinned.equals(published) ? PinStatus.UNCHANGED : PinStatus.CHANGED;
  }

  /** The keys to use for {@code user}: the pinned ones, never unaccepted new ones. */
  public synchronized Optional<PublicKeys> pinned(String user) {
    return Optional.ofNullable(pins.get(Names.user(user)));
  }

  /** Pins {@code keys} for {@code user}, replacing any pin: the user accepted a changed key. */
  public synchronized void accept(String user, PublicKeys keys) throws IOException {
    put(Names.user(user), Objects.requireNonNull(keys, "keys"));
  }

  /** Forgets {@code user}'s pin (e.g. the account was deleted); the next sight is first use. */
  public synchronized void forget(String user) throws IOException {
    String u = Names.user(user);
    PublicKeys old = pins.remove(u);
    if (old != null) {
      try {
        save();
      } catch (IOException e) {
        pins.put(u, old);
        throw e;
      }
    }
  }

  /** A snapshot of every pin, by user name. */
  public synchronized Map<String, PublicKeys> all() {
    return Map.copyOf(pins);
  }

  public Path file() {
    return file;
  }

  private void put(String user, PublicKeys keys) throws IOException {
    PublicKeys old = pins.put(user, keys);
    try {
      save();
    } catch (IOException e) {
      if (old == null) {
        pins.remove(user);
      } else {
        pins.put(user, old);
      }
      throw e;
    }
  }

  private void save() throws IOException {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    pins.forEach((u, k) -> text.append(u).append(' ').append(k.toBase64()).append('\n'));
    SecureFiles.writeAtomically(file, text.toString().getBytes(StandardCharsets.US_ASCII), true);
  }
}
