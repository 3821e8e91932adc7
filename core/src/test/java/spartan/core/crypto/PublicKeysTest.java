package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The published key pair: encoding, and refusal of keys that cannot be used safely. */
class PublicKeysTest {
  private static final PublicKeys KEYS = Identity.generate(new SecureRandom()).publicKeys();
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void encodingRoundTripsInBinaryAndBase64() {
    byte[] encoded = KEYS.encode();
    assertThat(encoded).hasSize(65);
    assertThat(encoded[0]).isEqualTo((byte) 1);
    assertThat(PublicKeys.decode(encoded)).isEqualTo(KEYS);
    assertThat(KEYS.toBase64()).hasSize(88);
    assertThat(PublicKeys.fromBase64(KEYS.toBase64())).isEqualTo(KEYS).hasSameHashCodeAs(KEYS);
  }

  @Test
  void wrongLengthsAndVersionsAreRefusedByName() {
    assertThatThrownBy(() -> new PublicKeys(new byte[31], KEYS.ed25519()))
        .hasMessage("X25519 public key must be 32 bytes, was 31");
    assertThatThrownBy(() -> new PublicKeys(KEYS.x25519(), new byte[33]))
        .hasMessage("Ed25519 public key must be 32 bytes, was 33");
    assertThatThrownBy(() -> PublicKeys.decode(new byte[64]))
        .hasMessage("public keys must be 65 bytes, was 64");
    byte[] v2 = KEYS.encode();
    v2[0] = 2;
    assertThatThrownBy(() -> PublicKeys.decode(v2)).hasMessage("unknown public key format 2");
    assertThatThrownBy(() -> PublicKeys.fromBase64("not base64!")).hasMessageContaining("base64");
    assertThatThrownBy(() -> PublicKeys.fromBase64("A".repeat(1000)))
        .hasMessageContaining("too long");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
      })
  void lowOrderX25519KeysAreRefusedSoNoAgreementCanBeAllZero(String point) {
    assertThatThrownBy(() -> new PublicKeys(HEX.parseHex(point), KEYS.ed25519()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("low order");
  }

  @Test
  void aNonCanonicalX25519EncodingIsRefused() {
    byte[] x = KEYS.x25519();
    x[31] |= (byte) 0x80;
    assertThatThrownBy(() -> new PublicKeys(x, KEYS.ed25519()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // the neutral element (order 1) and a point of order 2: valid encodings, unsafe keys
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        // y = 2 is not on the curve
        "0200000000000000000000000000000000000000000000000000000000000000"
      })
  void invalidEd25519KeysAreRefused(String point) {
    assertThatThrownBy(() -> new PublicKeys(KEYS.x25519(), HEX.parseHex(point)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Ed25519");
  }

  @Test
  void arraysAreCopiedInAndOut() {
    byte[] x = KEYS.x25519();
    PublicKeys k = new PublicKeys(x, KEYS.ed25519());
    x[0] ^= 1;
    k.x25519()[0] ^= 1;
    assertThat(k).isEqualTo(KEYS);
  }
}
