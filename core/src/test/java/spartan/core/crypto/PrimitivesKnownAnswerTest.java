package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known-answer tests of the primitives as this package calls them, with the published vectors: RFC
 * 7748 (X25519), RFC 5869 (HKDF-SHA256), the GCM specification (McGrew and Viega, test cases 13–16,
 * AES-256) and RFC 8032 (Ed25519).
 */
class PrimitivesKnownAnswerTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] h(String hex) {
    return HEX.parseHex(hex);
  }

  // --- RFC 7748 ---

  @ParameterizedTest(name = "RFC 7748 5.2 vector {index}")
  @CsvSource({
    "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4,"
        + "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c,"
        + "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
    "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d,"
        + "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493,"
        + "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
  })
  void x25519ScalarMultiplicationVectors(String scalar, String u, String expected) {
    assertThat(Primitives.x25519(h(scalar), h(u))).isEqualTo(h(expected));
  }

  @Test
  void x25519IteratedVectorAfterOneAndOneThousandIterations() {
    byte[] k = h("0900000000000000000000000000000000000000000000000000000000000000");
    byte[] u = k.clone();
    for (int i = 1; i <= 1000; i++) {
      byte[] next = Primitives.x25519(k, u);
      u = k;
      k = next;
      if (i == 1) {
        assertThat(k)
            .isEqualTo(h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"));
      }
    }
    assertThat(k).isEqualTo(h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"));
  }

  @Test
  void x25519DiffieHellmanExampleOfSection61() {
    byte[] alicePrivate = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bobPrivate = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    byte[] alicePublic = Primitives.x25519Public(alicePrivate);
    byte[] bobPublic = Primitives.x25519Public(bobPrivate);
    assertThat(alicePublic)
        .isEqualTo(h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    assertThat(bobPublic)
        .isEqualTo(h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
    byte[] shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assertThat(Primitives.x25519(alicePrivate, bobPublic)).isEqualTo(shared);
    assertThat(Primitives.x25519(bobPrivate, alicePublic)).isEqualTo(shared);
  }

  @ParameterizedTest(name = "low-order point {0}")
  @CsvSource({
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
  })
  void x25519RejectsTheAllZeroSecretOfLowOrderPoints(String point) {
    byte[] privateKey = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    assertThat(Primitives.x25519(privateKey, h(point))).isNull();
  }

  // --- RFC 5869 (SHA-256 cases) ---

  @Test
  void hkdfTestCase1() {
    assertThat(
            Primitives.hkdfSha256(
                h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                h("000102030405060708090a0b0c"),
                h("f0f1f2f3f4f5f6f7f8f9"),
                42))
        .isEqualTo(
            h(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
  }

  @Test
  void hkdfTestCase2LongInputs() {
    assertThat(Primitives.hkdfSha256(range(0x00, 80), range(0x60, 80), range(0xb0, 80), 82))
        .isEqualTo(
            h(
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                    + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                    + "cc30c58179ec3e87c14c01d5c1f3434f1d87"));
  }

  @Test
  void hkdfTestCase3EmptySaltAndInfo() {
    assertThat(
            Primitives.hkdfSha256(
                h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), new byte[0], new byte[0], 42))
        .isEqualTo(
            h(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));
  }

  private static byte[] range(int first, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (first + i);
    }
    return b;
  }

  // --- GCM specification, test cases 13-16 (AES-256) ---

  private static final String K15 =
      "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
  private static final String IV15 = "cafebabefacedbaddecaf888";
  private static final String P15 =
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
          + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
  private static final String C15 =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

  @ParameterizedTest(name = "GCM test case {0}")
  @CsvSource({
    "13,"
        + "0000000000000000000000000000000000000000000000000000000000000000,"
        + "000000000000000000000000,,,,530f8afbc74536b9a963b4f1c4cb738b",
    "14,"
        + "0000000000000000000000000000000000000000000000000000000000000000,"
        + "000000000000000000000000,00000000000000000000000000000000,,"
        + "cea7403d4d606b6e074ec5d3baf39d18,d0d1c8a799996bf0265b98b5d48ab919",
    "15," + K15 + "," + IV15 + "," + P15 + ",," + C15 + ",b094dac5d93471bdec1a502270e3cc6c",
  })
  void aesGcmTestCases13to15(
      int tc, String key, String iv, String p, String aad, String c, String tag)
      throws InvalidCipherTextException {
    checkGcm(key, iv, p, aad, c, tag);
  }

  @Test
  void aesGcmTestCase16WithAssociatedData() throws InvalidCipherTextException {
    // Test case 15's key and IV, the plaintext cut to 60 bytes, 20 bytes of associated data.
    checkGcm(
        K15,
        IV15,
        P15.substring(0, 120),
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        C15.substring(0, 120),
        "76fc6ece0f4e1768cddf8853bb2d551b");
  }

  private static void checkGcm(String key, String iv, String p, String aad, String c, String tag)
      throws InvalidCipherTextException {
    byte[] plain = p == null ? new byte[0] : h(p);
    byte[] ad = aad == null ? new byte[0] : h(aad);
    byte[] expected = h((c == null ? "" : c) + tag);
    assertThat(Primitives.aesGcmEncrypt(h(key), h(iv), ad, plain)).isEqualTo(expected);
    assertThat(Primitives.aesGcmDecrypt(h(key), h(iv), ad, expected)).isEqualTo(plain);
    byte[] forged = expected.clone();
    forged[forged.length - 1] ^= 1;
    assertThatThrownBy(() -> Primitives.aesGcmDecrypt(h(key), h(iv), ad, forged))
        .isInstanceOf(InvalidCipherTextException.class);
  }

  // --- RFC 8032 section 7.1 ---

  @ParameterizedTest(name = "RFC 8032 7.1 TEST {index}")
  @CsvSource({
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
        + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a,,"
        + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
        + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,72,"
        + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
        + "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025,af82,"
        + "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
  })
  void ed25519Vectors(String secret, String pub, String message, String signature) {
    byte[] msg = message == null ? new byte[0] : h(message);
    assertThat(Primitives.ed25519Public(h(secret))).isEqualTo(h(pub));
    assertThat(Primitives.ed25519Sign(h(secret), msg)).isEqualTo(h(signature));
    assertThat(Primitives.ed25519Verify(h(pub), msg, h(signature))).isTrue();

    byte[] otherMessage = new byte[msg.length + 1];
    assertThat(Primitives.ed25519Verify(h(pub), otherMessage, h(signature))).isFalse();
    byte[] badSignature = h(signature);
    badSignature[0] ^= 1;
    assertThat(Primitives.ed25519Verify(h(pub), msg, badSignature)).isFalse();
  }
}
