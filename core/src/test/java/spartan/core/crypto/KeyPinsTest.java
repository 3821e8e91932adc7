package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trust on first use: pin on first sight, report a change, use the new key only once accepted. */
class KeyPinsTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final PublicKeys bobFirst = Identity.generate(RANDOM).publicKeys();
  private final PublicKeys bobLater = Identity.generate(RANDOM).publicKeys();

  @TempDir Path home;
  private Path file;

  @BeforeEach
  void setUp() {
    file = KeyPins.defaultFile(home, "alice");
  }

  @Test
  void firstSightIsPinnedAndSurvivesAReopen() throws IOException {
    KeyPins pins = KeyPins.open(file);
    assertThat(pins.pinned("bob")).isEmpty();

    assertThat(pins.observe("bob", bobFirst)).isEqualTo(PinStatus.NEW);

    assertThat(pins.pinned("bob")).contains(bobFirst);
    KeyPins reopened = KeyPins.open(file);
    assertThat(reopened.pinned("bob")).contains(bobFirst);
    assertThat(reopened.observe("bob", bobFirst)).isEqualTo(PinStatus.UNCHANGED);
    assertThat(reopened.observe("BOB", bobFirst)).isEqualTo(PinStatus.UNCHANGED);
  }

  @Test
  void aChangedKeyIsReportedAndNotUsedUntilAccepted() throws IOException {
    KeyPins pins = KeyPins.open(file);
    pins.observe("bob", bobFirst);

    assertThat(pins.observe("bob", bobLater)).isEqualTo(PinStatus.CHANGED);
    assertThat(pins.observe("bob", bobLater)).isEqualTo(PinStatus.CHANGED); // still, every time
    assertThat(pins.pinned("bob")).contains(bobFirst);
    assertThat(KeyPins.open(file).pinned("bob")).contains(bobFirst);

    pins.accept("bob", bobLater);

    assertThat(pins.pinned("bob")).contains(bobLater);
    assertThat(pins.observe("bob", bobLater)).isEqualTo(PinStatus.UNCHANGED);
    assertThat(pins.observe("bob", bobFirst)).isEqualTo(PinStatus.CHANGED);
    assertThat(KeyPins.open(file).pinned("bob")).contains(bobLater);
  }

  @Test
  void forgettingMakesTheNextSightAFirstOne() throws IOException {
    KeyPins pins = KeyPins.open(file);
    pins.observe("bob", bobFirst);
    pins.forget("bob");

    assertThat(KeyPins.open(file).pinned("bob")).isEmpty();
    assertThat(pins.observe("bob", bobLater)).isEqualTo(PinStatus.NEW);
  }

  @Test
  void pinFileIsOwnerOnly() throws IOException {
    KeyPins.open(file).observe("bob", bobFirst);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
  }

  @Test
  void aDamagedPinFileIsRefusedRatherThanForgotten() throws IOException {
    KeyPins.open(file).observe("bob", bobFirst);
    String good = Files.readString(file);

    Files.writeString(file, good.replace("bob ", "bob  "));
    assertThatThrownBy(() -> KeyPins.open(file))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("line 2");

    Files.writeString(file, good + good.substring(good.indexOf('\n') + 1));
    assertThatThrownBy(() -> KeyPins.open(file)).hasMessageContaining("pins bob twice");

    Files.writeString(file, good.replace("spartan-pins 1", "spartan-pins 9"));
    assertThatThrownBy(() -> KeyPins.open(file)).hasMessageContaining("not a Spartan pins file");

    Files.writeString(file, good.substring(0, good.length() - 10) + "\n");
    assertThatThrownBy(() -> KeyPins.open(file)).isInstanceOf(KeyFileException.class);

    Files.writeString(file, good);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThatThrownBy(() -> KeyPins.open(file)).hasMessageContaining("chmod 600");
  }
}
