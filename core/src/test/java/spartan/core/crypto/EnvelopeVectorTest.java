package spartan.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import spartan.core.Recipient;

/**
 * Interoperability with an independent implementation: {@code envelope-v1.properties} was sealed by
 * {@code make_envelope_vector.py} (pyca/cryptography) following SECURITY.md, from fixed keys and
 * fixed "random" bytes. Spartan must open it for every reader and, fed the same bytes, produce it
 * byte for byte — so the format and the scheme are exactly what the document says.
 */
class EnvelopeVectorTest {
  private static Properties vector;
  private static Envelope.Header header;

  @BeforeAll
  static void load() throws IOException {
    vector = new Properties();
    try (InputStream in = EnvelopeVectorTest.class.getResourceAsStream("envelope-v1.properties")) {
      vector.load(in);
    }
    header =
        new Envelope.Header(
            vector.getProperty("sender"),
            Recipient.group(vector.getProperty("target").substring("group:".length())),
            vector.getProperty("clientMsgId"));
  }

  private static byte[] b64(String key) {
    return Base64.getDecoder().decode(vector.getProperty(key));
  }

  private static Identity identity(String user) {
    return Identity.fromPrivateKeys(b64(user + ".x25519"), b64(user + ".ed25519"));
  }

  @Test
  void everyReaderOpensTheIndependentlySealedEnvelope() throws Exception {
    PublicKeys alice = identity("alice").publicKeys();
    for (String reader : new String[] {"alice", "bob", "carol"}) {
      assertThat(new Opener().open(identity(reader), reader, b64("envelope"), header, alice))
          .as(reader)
          .isEqualTo(b64("plaintext"));
    }
  }

  @Test
  void sealingWithTheSameRandomBytesGivesTheSameEnvelope() throws Exception {
    Sealer sealer = new Sealer(new ScriptedRandom(b64("random")));
    byte[] sealed =
        sealer.seal(
            identity("alice"),
            header,
            Map.of(
                "bob", identity("bob").publicKeys(),
                "carol", identity("carol").publicKeys()),
            b64("plaintext"));

    assertThat(sealed).isEqualTo(b64("envelope"));
  }

  /** Hands out a fixed byte string, then fails: proves the sealer draws exactly these bytes. */
  private static final class ScriptedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] script;
    private int used;

    ScriptedRandom(byte[] script) {
      this.script = script.clone();
    }

    @Override
    public synchronized void nextBytes(byte[] out) {
      if (used + out.length > script.length) {
        throw new IllegalStateException("the sealer drew more random bytes than scripted");
      }
      System.arraycopy(script, used, out, 0, out.length);
      used += out.length;
    }

    @Override
    public void setSeed(long seed) {
      // SecureRandom's constructor calls this; the script is the only source.
    }
  }
}
