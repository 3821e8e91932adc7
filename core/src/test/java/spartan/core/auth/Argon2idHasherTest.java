package spartan.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Argon2idHasherTest {
  private final Argon2idHasher hasher = Argon2idHasher.forTests();

  @Test
  void aHashVerifiesItsPasswordOnlyAndIsSalted() {
    String h = hasher.hash("correct horse".toCharArray());
    assertThat(h).startsWith("$argon2id$v=19$m=64,t=1,p=1$");
    assertThat(hasher.verify("correct horse".toCharArray(), h)).isTrue();
    assertThat(hasher.verify("correct horsf".toCharArray(), h)).isFalse();
    assertThat(hasher.hash("correct horse".toCharArray())).isNotEqualTo(h);
  }

  @Test
  void theOwaspDefaultsAreWhatTheStoreRecords() {
    String h = Argon2idHasher.owaspDefault().hash("pw-12345".toCharArray());
    assertThat(h).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
  }

  @Test
  void malformedOrAbusiveHashesNeverMatchAndNeverThrow() {
    String good = hasher.hash("pw".toCharArray());
    String salt = good.split("\\$")[4];
    String hash = good.split("\\$")[5];
    for (String bad :
        new String[] {
          "", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + hash,
          "$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + hash,
          "$argon2id$v=19$m=64,t=1$" + salt + "$" + hash,
          "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + hash,
          "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + hash,
          "$argon2id$v=19$m=64,t=1,p=1$!!!$" + hash,
          "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
        }) {
      assertThat(hasher.verify("pw".toCharArray(), bad)).as(bad).isFalse();
    }
  }
}
