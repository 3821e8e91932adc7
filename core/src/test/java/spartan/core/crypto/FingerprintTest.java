package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Fingerprints and safety numbers: stable, symmetric, and sensitive to every key bit. */
class FingerprintTest {
  private static final HexFormat HEX = HexFormat.of();
  // X25519 public keys of RFC 7748 section 6.1, Ed25519 public keys of RFC 8032 TESTs 1 and 2.
  private static final PublicKeys ALICE =
      new PublicKeys(
          HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
          HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  private static final PublicKeys BOB =
      new PublicKeys(
          HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
          HEX.parseHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"));

  /** Expected values computed independently (Python hashlib) from the definition in the javadoc. */
  @Test
  void fingerprintMatchesItsDefinition() {
    assertThat(Fingerprint.of("alice", ALICE).digits()).isEqualTo("883203171869881890926837189964");
    assertThat(Fingerprint.of("bob", BOB).toString())
        .isEqualTo("76746 10404 62828 98162 71207 78620");
  }

  @Test
  void safetyNumberIsTheSameOnBothSides() {
    Fingerprint fromAlice = Fingerprint.safetyNumber("alice", ALICE, "bob", BOB);
    Fingerprint fromBob = Fingerprint.safetyNumber("bob", BOB, "Alice", ALICE);

    assertThat(fromAlice).isEqualTo(fromBob);
    assertThat(fromAlice.digits())
        .isEqualTo("883203171869881890926837189964" + "767461040462828981627120778620");
    assertThat(fromAlice.toString().split(" ")).hasSize(12);
  }

  @Test
  void anyOtherKeyOrNameGivesAnotherFingerprint() {
    PublicKeys other = Identity.generate(new SecureRandom()).publicKeys();
    PublicKeys otherSigning = new PublicKeys(ALICE.x25519(), other.ed25519());
    PublicKeys otherAgreement = new PublicKeys(other.x25519(), ALICE.ed25519());
    Fingerprint alice = Fingerprint.of("alice", ALICE);

    assertThat(Fingerprint.of("alice", otherSigning)).isNotEqualTo(alice);
    assertThat(Fingerprint.of("alice", otherAgreement)).isNotEqualTo(alice);
    assertThat(Fingerprint.of("alicf", ALICE)).isNotEqualTo(alice);
    assertThat(Fingerprint.safetyNumber("alice", otherSigning, "bob", BOB))
        .isNotEqualTo(Fingerprint.safetyNumber("alice", ALICE, "bob", BOB));
  }

  @Test
  void typedDigitsMatchWhateverTheSpacing() {
    Fingerprint f = Fingerprint.of("alice", ALICE);
    assertThat(f.matches("88320 31718 69881 89092 68371 89964")).isTrue();
    assertThat(f.matches("883203171869881890926837189964")).isTrue();
    assertThat(f.matches("88320 31718 69881 89092 68371 89965")).isFalse();
    assertThat(f.matches(null)).isFalse();
    assertThatThrownBy(() -> new Fingerprint("123")).isInstanceOf(IllegalArgumentException.class);
  }
}
