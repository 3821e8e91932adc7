package spartan.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import spartan.core.spi.Tls;
import spartan.core.tls.PemFiles;
import spartan.core.tls.PrivateCa;
import spartan.core.tls.ReloadingKeyManager;

/**
 * A private CA and a server certificate for localhost, 127.0.0.1 and ::1 in a directory, as
 * {@code spartan certs} makes them, with the transports' TLS settings over them.
 */
public final class TestTls {
  private final PrivateCa.Written files;
  private final ReloadingKeyManager keys;

  private TestTls(PrivateCa.Written files) {
    this.files = files;
    this.keys =
        ReloadingKeyManager.load(files.certificate(), files.key(), "tls.cert", "tls.key");
  }

  /** New CA and server certificate files in {@code dir} (replacing any there). */
  public static TestTls in(Path dir) {
    try {
      return new TestTls(PrivateCa.writeFiles(dir, List.of(), true, Clock.systemUTC()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public PrivateCa.Written files() {
    return files;
  }

  public ReloadingKeyManager keys() {
    return keys;
  }

  /** The server side: the files' certificate, reloaded when {@link #keys()} is told to. */
  public Tls.Server server() {
    return new Tls.Server(keys);
  }

  /** A client that trusts this CA only and checks the host it connects to. */
  public Tls.Client client() {
    return new Tls.Client(PemFiles.trustManager(files.ca(), "--ca"), null);
  }

  /** A client that trusts this CA and expects the certificate to name {@code name}. */
  public Tls.Client client(String name) {
    return new Tls.Client(PemFiles.trustManager(files.ca(), "--ca"), name);
  }
}
