package spartan.core.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spartan certs}' files, and reading PEM keys and certificates as operators have them. */
class PrivateCaTest {
  @TempDir Path dir;

  @Test
  void writesACaAServerCertificateForTheHostsAndLocalhostAndAnOwnerOnlyKey() throws Exception {
    PrivateCa.Written w =
        PrivateCa.writeFiles(
            dir.resolve("certs"), List.of("chat.example.org", "10.1.2.3"), false,
            Clock.systemUTC());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(w.key())))
        .isEqualTo("rw-------");
    X509Certificate server = PemFiles.certificates(w.certificate(), "tls.cert").get(0);
    assertThat(
            server.getSubjectAlternativeNames().stream()
                .map(san -> san.get(1).toString())
                .collect(Collectors.toList()))
        .containsExactly(
            "chat.example.org", "10.1.2.3", "localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");
    assertThat(server.getBasicConstraints()).isEqualTo(-1);
    X509TrustManager trust = PemFiles.trustManager(w.ca(), "--ca");
    trust.checkServerTrusted(new X509Certificate[] {server}, "ECDHE_ECDSA"); // does not throw
    // The pair loads as a server's key material.
    assertThat(
            ReloadingKeyManager.load(w.certificate(), w.key(), "tls.cert", "tls.key")
                .certificate())
        .isEqualTo(server);
  }

  @Test
  void existingFilesAreNotOverwrittenUnlessAsked() throws Exception {
    Path certs = dir.resolve("certs");
    PrivateCa.writeFiles(certs, List.of(), false, Clock.systemUTC());
    byte[] before = Files.readAllBytes(certs.resolve("ca.pem"));
    assertThatThrownBy(() -> PrivateCa.writeFiles(certs, List.of(), false, Clock.systemUTC()))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(certs.resolve("ca.pem"))).isEqualTo(before);
    PrivateCa.writeFiles(certs, List.of(), true, Clock.systemUTC());
    assertThat(Files.readAllBytes(certs.resolve("ca.pem"))).isNotEqualTo(before);
  }

  @Test
  void aHostThatIsNeitherANameNorAnAddressIsRefused() {
    assertThatThrownBy(
            () -> PrivateCa.writeFiles(dir, List.of("bad name!"), false, Clock.systemUTC()))
        .hasMessageContaining("'bad name!' is neither a host name");
  }

  @Test
  void readsRsaPkcs1AndEcSec1KeysAsOpensslWritesThem() throws Exception {
    for (String alg : List.of("RSA", "EC")) {
      KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
      g.initialize(alg.equals("RSA") ? 2048 : 256);
      KeyPair pair = g.generateKeyPair();
      Path f = dir.resolve(alg + ".pem");
      try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(f))) {
        if (alg.equals("RSA")) {
          w.writeObject(pair); // "RSA PRIVATE KEY": PKCS#1, as openssl genrsa -traditional
        } else {
          // "EC PRIVATE KEY": SEC1 with the curve named inside, as openssl ecparam -genkey.
          PrivateKeyInfo info = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
          ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
          ECPrivateKey sec1 =
              new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
          w.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        }
      }
      assertThat(Files.readString(f)).contains("BEGIN " + alg + " PRIVATE KEY");
      // The key read signs what the original public key verifies.
      Signature sig = Signature.getInstance("SHA256with" + (alg.equals("EC") ? "ECDSA" : "RSA"));
      sig.initSign(PemFiles.privateKey(f, "tls.key"));
      sig.update(new byte[] {1, 2, 3});
      byte[] signature = sig.sign();
      sig.initVerify(pair.getPublic());
      sig.update(new byte[] {1, 2, 3});
      assertThat(sig.verify(signature)).isTrue();
    }
  }

  @Test
  void badFilesAreRefusedNamingTheSetting() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
    assertThatThrownBy(() -> PemFiles.certificates(garbage, "tls.cert"))
        .hasMessageStartingWith("tls.cert (" + garbage + "): holds no PEM certificate");
    assertThatThrownBy(() -> PemFiles.privateKey(garbage, "tls.key"))
        .hasMessageStartingWith("tls.key (" + garbage + "): holds no PEM private key");
    assertThatThrownBy(() -> PemFiles.certificates(dir.resolve("missing.pem"), "tls.cert"))
        .hasMessageContaining("no such file");
    PrivateCa.Written a =
        PrivateCa.writeFiles(dir.resolve("a"), List.of(), false, Clock.systemUTC());
    PrivateCa.Written b =
        PrivateCa.writeFiles(dir.resolve("b"), List.of(), false, Clock.systemUTC());
    assertThatThrownBy(
            () -> ReloadingKeyManager.load(a.certificate(), b.key(), "tls.cert", "tls.key"))
        .hasMessageContaining("tls.key")
        .hasMessageContaining("does not belong to the certificate in tls.cert");
  }
}
