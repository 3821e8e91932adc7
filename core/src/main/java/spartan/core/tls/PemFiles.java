package spartan.core.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM certificates, private keys and CA bundles, as OpenSSL, certbot and {@code spartan
 * certs} write them: keys in PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}) or PKCS#1
 * ({@code RSA PRIVATE KEY}) form. BouncyCastle's {@link PEMParser} reads the PEM; the JDK's default
 * providers make the keys (no JCA provider is installed). Every failure is a {@link
 * TlsFileException} naming the setting. Stateless.
 */
public final class PemFiles {
  /** A certificate chain or CA bundle longer than this is refused. */
  static final int MAX_FILE_BYTES = 1 << 20;
  /** Certificates one file may hold. */
  static final int MAX_CERTIFICATES = 256;

  private PemFiles() {}

  /** The certificates in {@code file}, in file order (a chain: the leaf first). */
  public static List<X509Certificate> certificates(Path file, String setting) {
    String text = new String(read(file, setting), StandardCharsets.US_ASCII);
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      CertificateFactory f = CertificateFactory.getInstance("X.509");
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof X509CertificateHolder holder) {
          if (out.size() == MAX_CERTIFICATES) {
            throw new TlsFileException(
                setting, file, "holds more than " + MAX_CERTIFICATES + " certificates");
          }
          out.add(
              (X509Certificate)
                  f.generateCertificate(new ByteArrayInputStream(holder.getEncoded())));
        }
      }
    } catch (CertificateException | IOException | RuntimeException e) {
      if (e instanceof TlsFileException t) {
        throw t;
      }
      throw new TlsFileException(setting, file, "not a PEM certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new TlsFileException(setting, file, "holds no PEM certificate (BEGIN CERTIFICATE)");
    }
    return List.copyOf(out);
  }

  /** The first private key in {@code file}; an encrypted key is refused with a clear message. */
  public static PrivateKey privateKey(Path file, String setting) {
    String text = new String(read(file, setting), StandardCharsets.US_ASCII);
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        PrivateKeyInfo info = null;
        if (o instanceof PEMKeyPair pair) {
          info = pair.getPrivateKeyInfo();
        } else if (o instanceof PrivateKeyInfo pk) {
          info = pk;
        } else if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new TlsFileException(
              setting, file, "the key is encrypted; give the server an unencrypted key file"
                  + " readable only by its user (chmod 600)");
        }
        if (info != null) {
          return toKey(info, file, setting);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof TlsFileException t) {
        throw t;
      }
      throw new TlsFileException(setting, file, "not a PEM private key: " + e.getMessage(), e);
    }
    throw new TlsFileException(setting, file, "holds no PEM private key (BEGIN PRIVATE KEY)");
  }

  /**
   * A trust manager that trusts exactly the CA certificates in {@code file} (PKIX path validation
   * against them, the JDK's checks otherwise). Thread-safe.
   */
  public static X509TrustManager trustManager(Path file, String setting) {
    List<X509Certificate> cas = certificates(file, setting);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager m : f.getTrustManagers()) {
        if (m instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK offers no X509TrustManager");
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(
          setting, file, "cannot trust these certificates: " + e.getMessage(), e);
    }
  }

  private static PrivateKey toKey(PrivateKeyInfo info, Path file, String setting)
      throws IOException {
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    String algorithm;
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      algorithm = "EC";
    } else if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      algorithm = "RSA";
    } else if (oid.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
      algorithm = "RSASSA-PSS";
    } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      algorithm = "Ed25519";
    } else {
      throw new TlsFileException(setting, file, "unsupported key type " + oid
          + " (use an EC, RSA or Ed25519 key)");
    }
    try {
      return KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new TlsFileException(
          setting, file, "not a usable " + algorithm + " key: " + e.getMessage(), e);
    }
  }

  static byte[] read(Path file, String setting) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] content = in.readNBytes(MAX_FILE_BYTES + 1);
      if (content.length > MAX_FILE_BYTES) {
        throw new TlsFileException(setting, file, "longer than " + MAX_FILE_BYTES + " bytes");
      }
      return content;
    } catch (NoSuchFileException e) {
      throw new TlsFileException(setting, file, "no such file");
    } catch (IOException e) {
      throw new TlsFileException(setting, file, "cannot read: " + e.getMessage(), e);
    }
  }
}
