package spartan.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import spartan.core.tls.PrivateCa;

/**
 * {@code spartan certs}: a private CA and a server certificate signed by it, to try TLS without a
 * real CA. The CA's key is not kept, so the CA can sign nothing else; run it again for new names.
 */
public final class CertsMain {
  static final String USAGE =
      """
      Usage: spartan certs --dir DIR [--host NAME]... [--force]

      Makes a private CA and a server certificate signed by it, for trying TLS out:
        DIR/ca.pem           the CA certificate: give it to clients (--ca DIR/ca.pem)
        DIR/server.pem       the server's certificate (tls.cert / --tls-cert)
        DIR/server-key.pem   its private key, readable by you only (tls.key / --tls-key)
      The certificate names localhost, 127.0.0.1 and ::1, and each --host (a DNS name or an
      IP address) clients will connect to. Existing files are kept unless --force is given.
      """;

  private CertsMain() {}

  public static void main(String[] args) {
    int code = run(List.of(args), System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Path dir = null;
    List<String> hosts = new ArrayList<>();
    boolean force = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "--help", "-h" -> {
          out.print(USAGE);
          return 0;
        }
        case "--force" -> force = true;
        case "--dir", "--host" -> {
          if (value == null) {
            if (i + 1 >= args.size()) {
              err.println("spartan certs: " + a + " needs a value (see --help)");
              return 2;
            }
            value = args.get(++i);
          }
          if (a.equals("--host")) {
            hosts.add(value);
          } else {
            try {
              dir = Path.of(value);
            } catch (InvalidPathException e) {
              err.println("spartan certs: --dir is not a valid path: " + value);
              return 2;
            }
          }
        }
        default -> {
          err.println("spartan certs: unknown argument '" + a + "' (see --help)");
          return 2;
        }
      }
    }
    if (dir == null) {
      err.println("spartan certs: --dir DIR is required (see --help)");
      return 2;
    }
    PrivateCa.Written w;
    try {
      w = PrivateCa.writeFiles(dir, hosts, force, Clock.systemUTC());
    } catch (FileAlreadyExistsException e) {
      err.println("spartan certs: " + e.getFile() + " exists; use --force to replace the files");
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("spartan certs: --host " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("spartan certs: cannot write to " + dir + ": " + e.getMessage());
      return 1;
    }
    List<String> names = new ArrayList<>(hosts);
    names.addAll(PrivateCa.LOCAL_NAMES);
    out.println("Wrote " + w.ca() + " (CA certificate: give it to clients)");
    out.println("Wrote " + w.certificate() + " (server certificate for "
        + String.join(", ", names.stream().distinct().toList()) + ")");
    out.println("Wrote " + w.key() + " (server key, owner-only)");
    out.println();
    out.println("Start the server:  ./spartan server --tls-cert " + w.certificate()
        + " --tls-key " + w.key());
    out.println("Connect a client:  ./spartan client --ca " + w.ca() + " alice");
    return 0;
  }
}
