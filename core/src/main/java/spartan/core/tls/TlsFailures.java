package spartan.core.tls;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Turns a failed TLS handshake, as the JDK reports it somewhere down a chain of causes, into one
 * sentence a user can act on: the certificate is not trusted, names another host, has expired, or
 * the server does not speak TLS at all. Both transports' connectors use it, so the client prints
 * the same words over either wire. Stateless.
 */
public final class TlsFailures {
  private TlsFailures() {}

  /**
   * What went wrong, or null if {@code failure} is not a TLS failure.
   *
   * @param address the server, as {@code host:port}, for the message; null if unknown
   * @param expectedName the name the certificate had to carry; null if unknown
   */
  public static String describe(Throwable failure, String address, String expectedName) {
    String at = address == null ? "" : " at " + address;
    String server = address == null ? "the server" : "the server at " + address;
    boolean tls = false;
    String text = "";
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CertificateExpiredException
          || t instanceof CertificateNotYetValidException) {
        return "The server's TLS certificate" + at + " has expired or is not valid yet"
            + " (" + t.getMessage() + ").";
      }
      if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
        return "The server's TLS certificate" + at + " is not trusted: it is not signed"
            + " by a CA this client trusts. Give the server's CA certificate with --ca FILE.";
      }
      String m = String.valueOf(t.getMessage());
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("no name matching") || lower.contains("no subject alternative")) {
        String name = expectedName != null ? "'" + expectedName + "'" : "this name (" + m + ")";
        return "The server's TLS certificate" + at + " is not issued for " + name
            + ". Connect with a name it was issued for, or name one with --tls-name NAME.";
      }
      if (lower.contains("unrecognized ssl message") || lower.contains("not an ssl/tls record")
          || t.getClass().getSimpleName().equals("NotSslRecordException")) {
        return "The server" + at + " does not speak TLS on this port (leave out"
            + " --tls/--ca, or check the port).";
      }
      if (t instanceof SSLException) {
        tls = true;
        text = m;
      }
    }
    return tls ? "TLS with " + server + " failed: " + text : null;
  }
}
