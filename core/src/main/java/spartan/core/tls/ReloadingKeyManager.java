package spartan.core.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's certificate chain and private key, read from two PEM files and re-read when they
 * change, so a renewed certificate is served to new connections without a restart (connections
 * already open keep the one they were made with). Both transports take the same instance.
 *
 * <p>It does not watch by itself: the owner calls {@link #reloadIfChanged()} on its own schedule
 * (the server does so from a scheduled executor). A change is seen by content, not by time stamp,
 * so files rewritten within the same second, or swapped by a symlink flip, are still noticed. A
 * pair that cannot be used — half written, or a key that does not match the certificate — is
 * logged and ignored, and the previous pair stays in service.
 *
 * <p>Thread-safe: each handshake reads one immutable snapshot. The alias the JDK asks for names
 * the snapshot, so a reload between its two look-ups (chain, then key) cannot mix two pairs.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);

  private final Path certFile;
  private final Path keyFile;
  private final String certSetting;
  private final String keySetting;
  private volatile Pair current;
  private volatile Pair previous;

  private record Pair(
      String alias, X509Certificate[] chain, PrivateKey key, byte[] digest) {}

  private ReloadingKeyManager(
      Path certFile, Path keyFile, String certSetting, String keySetting, Pair first) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.certSetting = certSetting;
    this.keySetting = keySetting;
    this.current = first;
  }

  /**
   * Reads {@code certFile} (the chain, leaf first) and {@code keyFile}.
   *
   * @param certSetting and {@code keySetting}: the names errors give the files ({@code tls.cert})
   * @throws TlsFileException if either file cannot be used or the key does not match
   */
  public static ReloadingKeyManager load(
      Path certFile, Path keyFile, String certSetting, String keySetting) {
    Pair first = read(certFile, keyFile, certSetting, keySetting, 1);
    ReloadingKeyManager m =
        new ReloadingKeyManager(certFile, keyFile, certSetting, keySetting, first);
    X509Certificate leaf = first.chain()[0];
    try {
      leaf.checkValidity();
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      log.warn("TLS certificate {} is not valid now ({}); clients will refuse it", certFile,
          e.getMessage());
    }
    return m;
  }

  /**
   * Re-reads both files and, if their content changed and they make a usable pair, serves the
   * new pair to every later handshake. Never throws: an unusable pair is logged and skipped.
   *
   * @return whether a new pair is now in service
   */
  public boolean reloadIfChanged() {
    try {
      return reload();
    } catch (RuntimeException e) {
      // Called from a scheduled executor, which would stop calling after a throw.
      log.warn("TLS files not reloaded: {}", e.toString());
      return false;
    }
  }

  private boolean reload() {
    Pair old = current;
    byte[] digest;
    try {
      digest = digest(PemFiles.read(certFile, certSetting), PemFiles.read(keyFile, keySetting));
    } catch (TlsFileException e) {
      log.warn("TLS files not reloaded: {}", e.getMessage());
      return false;
    }
    if (Arrays.equals(digest, old.digest())) {
      return false;
    }
    Pair next;
    try {
      next = read(certFile, keyFile, certSetting, keySetting, generation(old) + 1);
    } catch (TlsFileException e) {
      log.warn("TLS files changed but cannot be used yet; still serving the previous"
          + " certificate: {}", e.getMessage());
      return false;
    }
    synchronized (this) {
      previous = current;
      current = next;
    }
    log.info("TLS certificate reloaded: {} (valid until {})",
        next.chain()[0].getSubjectX500Principal().getName(), next.chain()[0].getNotAfter());
    return true;
  }

  /** The leaf certificate now in service. */
  public X509Certificate certificate() {
    return current.chain()[0];
  }

  private static int generation(Pair p) {
    return Integer.parseInt(p.alias().substring(p.alias().lastIndexOf('-') + 1));
  }

  private static Pair read(
      Path certFile, Path keyFile, String certSetting, String keySetting, int generation) {
    byte[] certBytes = PemFiles.read(certFile, certSetting);
    byte[] keyBytes = PemFiles.read(keyFile, keySetting);
    List<X509Certificate> chain = PemFiles.certificates(certFile, certSetting);
    PrivateKey key = PemFiles.privateKey(keyFile, keySetting);
    if (!matches(chain.get(0), key)) {
      throw new TlsFileException(keySetting, keyFile,
          "this key does not belong to the certificate in " + certSetting + " (" + certFile + ")");
    }
    return new Pair("spartan-" + generation, chain.toArray(new X509Certificate[0]), key,
        digest(certBytes, keyBytes));
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  private static boolean matches(X509Certificate cert, PrivateKey key) {
    String alg =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "RSASSA-PSS" -> "RSASSA-PSS";
          default -> key.getAlgorithm(); // Ed25519, EdDSA
        };
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature s = Signature.getInstance(alg);
      if (alg.equals("RSASSA-PSS")) {
        s.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
            java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(cert.getPublicKey());
      s.update(probe);
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false; // a key of another type than the certificate's
    }
  }

  private static byte[] digest(byte[] a, byte[] b) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(a);
      d.update((byte) 0);
      d.update(b);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Pair byAlias(String alias) {
    Pair c = current;
    if (c.alias().equals(alias)) {
      return c;
    }
    Pair p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  /** Whether the key type the JDK asks for ("EC", "RSA", "EC_EC"…) is the one this key has. */
  private String aliasFor(String keyType) {
    Pair c = current;
    if (keyType == null) {
      return null;
    }
    String wanted = keyType.toUpperCase(Locale.ROOT);
    int underscore = wanted.indexOf('_');
    if (underscore > 0) {
      wanted = wanted.substring(0, underscore);
    }
    String have = c.key().getAlgorithm().toUpperCase(Locale.ROOT);
    boolean ok =
        wanted.equals(have)
            || (wanted.equals("EDDSA") && have.equals("ED25519"))
            || (wanted.equals("ED25519") && have.equals("EDDSA"));
    return ok ? c.alias() : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Pair p = byAlias(alias);
    return p == null ? null : p.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Pair p = byAlias(alias);
    return p == null ? null : p.key();
  }

  /** A server's key manager offers no client certificate. */
  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  @Override
  public String toString() {
    return "ReloadingKeyManager[" + certFile + ", " + keyFile + "]";
  }
}
