package spartan.bench;

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
 * TLS for the {@code -tls} bindings ({@code --tls}): a private CA and a server certificate for
 * 127.0.0.1 in a directory, as {@code spartan certs} makes them, so a forked or separately
 * started {@code bench serve} and the generator share them through the files.
 */
final class BenchTls {
  static final String SUFFIX = "-tls";

  private final Path dir;

  private BenchTls(Path dir) {
    this.dir = dir;
  }

  /** Makes a fresh CA and server certificate in {@code dir}, replacing any there. */
  static BenchTls create(Path dir) {
    try {
      PrivateCa.writeFiles(dir, List.of(), true, Clock.systemUTC());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write TLS files to " + dir, e);
    }
    return new BenchTls(dir);
  }

  /** Uses the files another process made in {@code dir}. */
  static BenchTls in(Path dir) {
    return new BenchTls(dir);
  }

  Tls.Server server() {
    return new Tls.Server(
        ReloadingKeyManager.load(
            dir.resolve("server.pem"), dir.resolve("server-key.pem"), "tls.cert", "tls.key"));
  }

  Tls.Client client() {
    return new Tls.Client(PemFiles.trustManager(dir.resolve("ca.pem"), "--tls-dir"), null);
  }

  /** Whether {@code binding} is a transport over TLS ({@code grpc-tls}, {@code socket-tls}). */
  static boolean isTls(String binding) {
    return binding.endsWith(SUFFIX);
  }

  /** The transport under a binding: {@code grpc} for {@code grpc-tls}. */
  static String transportOf(String binding) {
    return isTls(binding) ? binding.substring(0, binding.length() - SUFFIX.length()) : binding;
  }
}
