package spartan.core.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import spartan.core.crypto.SecureFiles;

/**
 * A private certificate authority for trying TLS out ({@code spartan certs}): an ECDSA P-256 CA
 * that issues server certificates for a list of host names and addresses. It is made fresh each
 * time and its key is never written, so the only way to get another certificate it vouches for is
 * to make a new CA (and hand out its {@code ca.pem} again). BouncyCastle builds the certificates;
 * the JDK's default providers make the keys and signatures.
 *
 * <p>Not for production: a real deployment uses certificates from the organisation's CA or an
 * ACME CA. Thread-safe (immutable).
 */
public final class PrivateCa {
  /** The names every server certificate from {@link #writeFiles} carries besides the hosts. */
  public static final List<String> LOCAL_NAMES = List.of("localhost", "127.0.0.1", "::1");

  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** Browsers' upper bound for a server certificate; clients here do not care, but operators do. */
  static final Duration SERVER_VALIDITY = Duration.ofDays(397);
  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)(\\*\\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)*"
          + "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?");
  private static final Pattern IP_LITERAL =
      Pattern.compile("[0-9]+(\\.[0-9]+){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
  static final int MAX_NAMES = 100;

  private final KeyPair keys;
  private final X509Certificate certificate;
  private final Clock clock;
  private final SecureRandom random;

  private PrivateCa(KeyPair keys, X509Certificate certificate, Clock clock, SecureRandom random) {
    this.keys = keys;
    this.certificate = certificate;
    this.clock = clock;
    this.random = random;
  }

  /** The files {@link #writeFiles} wrote. */
  public record Written(Path ca, Path certificate, Path key) {}

  /** A server certificate and its key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {}

  /** A new CA named {@code commonName}, valid from now (by {@code clock}) for ten years. */
  public static PrivateCa create(String commonName, Clock clock) {
    SecureRandom random = new SecureRandom();
    KeyPair keys = newKey(random);
    X500Name name = new X500Name("CN=" + commonName.replaceAll("[,=+<>#;\"\\\\]", " "));
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  name, serial(random), Date.from(now.minusSeconds(60)),
                  Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(Extension.keyUsage, true,
                  new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(Extension.subjectKeyIdentifier, false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new PrivateCa(keys, sign(b, keys.getPrivate()), clock, random);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a CA certificate", e);
    }
  }

  /** The CA's own certificate: what clients trust ({@code ca.pem}). */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A server certificate for {@code names} (DNS names, IPv4 or IPv6 literals), all of which go in
   * its subject alternative names; the first is also its common name.
   *
   * @throws IllegalArgumentException if a name is neither a DNS name nor an IP literal, or there
   *     are none or more than {@link #MAX_NAMES}
   */
  public Issued issue(List<String> names) {
    if (names.isEmpty() || names.size() > MAX_NAMES) {
      throw new IllegalArgumentException("a certificate needs 1-" + MAX_NAMES + " host names");
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String n : names) {
      sans.add(generalName(n));
    }
    KeyPair server = newKey(random);
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  certificate, serial(random), Date.from(now.minusSeconds(60)),
                  Date.from(now.plus(SERVER_VALIDITY)),
                  new X500Name("CN=" + names.get(0).replaceAll("[,=+<>#;\"\\\\]", " ")),
                  server.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(Extension.extendedKeyUsage, false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(Extension.subjectAlternativeName, false,
                  new GeneralNames(sans.toArray(new GeneralName[0])))
              .addExtension(Extension.subjectKeyIdentifier, false,
                  ext.createSubjectKeyIdentifier(server.getPublic()))
              .addExtension(Extension.authorityKeyIdentifier, false,
                  ext.createAuthorityKeyIdentifier(certificate));
      return new Issued(sign(b, keys.getPrivate()), server.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a server certificate", e);
    }
  }

  /**
   * Makes a new CA and a server certificate for {@code hosts} plus {@link #LOCAL_NAMES}, and
   * writes {@code dir/ca.pem}, {@code dir/server.pem} and {@code dir/server-key.pem} (owner-only,
   * 0600), each atomically. The directory is created (0700) if missing.
   *
   * @param replace whether existing files may be overwritten
   * @throws java.nio.file.FileAlreadyExistsException if one exists and {@code replace} is false
   * @throws IllegalArgumentException for a host that is not a DNS name or IP literal
   */
  public static Written writeFiles(Path dir, List<String> hosts, boolean replace, Clock clock)
      throws IOException {
    Set<String> names = new LinkedHashSet<>();
    for (String h : hosts) {
      names.add(h.strip());
    }
    names.addAll(LOCAL_NAMES);
    PrivateCa ca = create("Spartan private CA", clock);
    Issued server = ca.issue(List.copyOf(names));
    Written out =
        new Written(
            dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server-key.pem"));
    if (!replace) {
      for (Path p : List.of(out.ca(), out.certificate(), out.key())) {
        if (Files.exists(p)) {
          throw new java.nio.file.FileAlreadyExistsException(p.toString());
        }
      }
    }
    // The key first, the certificate last: a server reloading meanwhile sees a pair that does
    // not match, skips it, and picks the new pair up at its next look.
    SecureFiles.writeAtomically(out.key(), pem(server.key()), replace);
    writePublic(out.ca(), pem(ca.certificate()), replace);
    writePublic(out.certificate(), pem(server.certificate()), replace);
    return out;
  }

  /** PEM text of a certificate or key ({@code CERTIFICATE}, PKCS#8 {@code PRIVATE KEY}). */
  public static byte[] pem(Object certificateOrKey) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      if (certificateOrKey instanceof PrivateKey k) {
        w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null));
      } else {
        w.writeObject(certificateOrKey);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static void writePublic(Path file, byte[] content, boolean replace) throws IOException {
    SecureFiles.writeAtomically(file, content, replace);
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  private static GeneralName generalName(String name) {
    String n = name.strip();
    if (n.startsWith("[") && n.endsWith("]")) {
      n = n.substring(1, n.length() - 1);
    }
    if (IP_LITERAL.matcher(n).matches()) {
      try {
        InetAddress.getByName(n); // a literal: no lookup
        return new GeneralName(GeneralName.iPAddress, n);
      } catch (UnknownHostException | IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + name + "' is not a valid IP address");
      }
    }
    if (!DNS_NAME.matcher(n).matches()) {
      throw new IllegalArgumentException(
          "'" + name + "' is neither a host name (letters, digits, '-', '.') nor an IP address");
    }
    return new GeneralName(GeneralName.dNSName, n);
  }

  private static KeyPair newKey(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make P-256 keys", e);
    }
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(159, random).add(BigInteger.ONE); // positive, at most 20 bytes
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
