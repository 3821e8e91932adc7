package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key file: owner-only, atomic, never overwritten, and loudly refused when damaged. */
class IdentityTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path home;

  @Test
  void savedKeyFileIsOwnerOnlyInOwnerOnlyDirectoriesAndReloadsTheSameIdentity() throws IOException {
    Identity alice = Identity.generate(RANDOM);
    Path file = Identity.defaultFile(home, "alice");

    alice.save(file);

    assertThat(file).isEqualTo(home.resolve(".spartan/keys/alice.identity"));
    assertThat(perms(file)).isEqualTo("rw-------");
    assertThat(perms(file.getParent())).isEqualTo("rwx------");
    assertThat(perms(home.resolve(".spartan"))).isEqualTo("rwx------");
    Identity loaded = Identity.load(file);
    assertThat(loaded).isEqualTo(alice);
    assertThat(loaded.publicKeys()).isEqualTo(alice.publicKeys());
    try (Stream<Path> left = Files.list(file.getParent())) {
      assertThat(left).containsExactly(file); // no temporary file left behind
    }
  }

  @Test
  void anExistingKeyFileIsNeverOverwritten() throws IOException {
    Path file = home.resolve("k.identity");
    Identity first = Identity.generate(RANDOM);
    first.save(file);

    assertThatThrownBy(() -> Identity.generate(RANDOM).save(file))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Identity.load(file)).isEqualTo(first);
  }

  @Test
  void loadOrCreateCreatesOnceThenLoads() throws IOException {
    Path file = home.resolve("keys/bob.identity");
    Identity created = Identity.loadOrCreate(file, RANDOM);
    Identity again = Identity.loadOrCreate(file, RANDOM);

    assertThat(again).isEqualTo(created);
    assertThat(perms(file)).isEqualTo("rw-------");
  }

  @Test
  void aKeyFileOthersCanReadIsRefused() throws IOException {
    Path file = home.resolve("k.identity");
    Identity.generate(RANDOM).save(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> Identity.load(file))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("chmod 600");
  }

  @Test
  void corruptKeyFilesAreClearErrorsThatNameTheProblem() throws IOException {
    Path good = home.resolve("good.identity");
    Identity.generate(RANDOM).save(good);
    List<String> lines = Files.readAllLines(good, StandardCharsets.US_ASCII);
    String x = lines.get(1);
    // Change one base64 character of the X25519 private key: a different, valid-looking key.
    char c = x.charAt(10);
    String flipped = x.substring(0, 10) + (c == 'A' ? 'B' : 'A') + x.substring(11);

    check("", "bad header");
    check("spartan-identity 2\n" + String.join("\n", lines.subList(1, 4)) + "\n", "bad header");
    check(String.join("\n", lines.subList(0, 3)) + "\n", "line count");
    check(
        lines.get(0) + "\n" + flipped + "\n" + lines.get(2) + "\n" + lines.get(3) + "\n",
        "do not match the recorded public keys");
    check(
        lines.get(0) + "\n" + "x25519 !!!!\n" + lines.get(2) + "\n" + lines.get(3) + "\n",
        "'x25519' value is not base64");
    check(
        lines.get(0) + "\n" + "x25519 AAAA\n" + lines.get(2) + "\n" + lines.get(3) + "\n",
        "'x25519' value must be 32 bytes");
    check(
        lines.get(0) + "\n" + lines.get(2) + "\n" + lines.get(1) + "\n" + lines.get(3) + "\n",
        "expected the 'x25519' line");
    check("x".repeat(5000), "longer than");
  }

  private void check(String content, String problem) throws IOException {
    Path file = Files.createTempFile(home, "bad", ".identity");
    Files.writeString(file, content, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> Identity.load(file))
        .as(problem)
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((KeyFileException) e).file()).isEqualTo(file));
  }

  @Test
  void toStringShowsNoPrivateKey() throws IOException {
    Identity id = Identity.generate(RANDOM);
    Path file = home.resolve("k.identity");
    id.save(file);
    String privateLine = Files.readAllLines(file).get(1).substring("x25519 ".length());
    assertThat(id.toString()).doesNotContain(privateLine).startsWith("Identity[PublicKeys[");
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
