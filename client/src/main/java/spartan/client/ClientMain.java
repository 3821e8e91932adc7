package spartan.client;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import javax.net.ssl.X509TrustManager;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatService;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.tls.PemFiles;
import spartan.core.tls.TlsFileException;
import spartan.core.spi.TransportProvider;

/**
 * {@code ./spartan client [--transport grpc|socket] [--server H:P,...] [--host H] [--port P]
 * [--keys DIR] [--no-e2e] [user]}: parses the command line, finds the transport's connector,
 * sets up the terminal and runs the {@link Repl} against the servers given (see {@link Dialer}).
 * Logs go to {@code ~/.spartan/client.log}, never to the terminal; {@code ~} is {@link #home}.
 */
public final class ClientMain {
  static {
    // Before the first logger: logback would create ~/.spartan 0755 and client.log 0644, and
    // the log names who this user chats with.
    privateLogFile(home(System.getenv("HOME"), System.getProperty("user.home")));
  }

  private static final Logger log = LoggerFactory.getLogger(ClientMain.class);

  private ClientMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * The directory that holds {@code .spartan}: {@code $HOME} when set, as the shell and ssh see
   * it, so that several users of one account, and tests, can keep apart; else Java's {@code
   * user.home}, which comes from the password database and ignores {@code $HOME}. logback.xml
   * places the log by the same rule.
   */
  static Path home(String envHome, String userHome) {
    return envHome != null && !envHome.isBlank() ? Path.of(envHome) : Path.of(userHome);
  }

  /**
   * Creates {@code home/.spartan} (0700) and an empty {@code client.log} (0600) if they are
   * missing, so logback appends to a file only the user can read. Best effort: a file system
   * without POSIX permissions, or an unwritable home, leaves the defaults.
   */
  static void privateLogFile(Path home) {
    Path dir = home.resolve(".spartan");
    try {
      if (!java.nio.file.Files.exists(dir)) {
        java.nio.file.Files.createDirectories(
            dir,
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      }
      Path log = dir.resolve("client.log");
      if (!java.nio.file.Files.exists(log)) {
        java.nio.file.Files.createFile(
            log,
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      }
    } catch (java.io.IOException | UnsupportedOperationException e) {
      // Logging is not set up yet; the client works without a private log file.
    }
  }

  static int run(String[] args) {
    // grpc-java logs through java.util.logging, whose default handler writes to the terminal.
    java.util.logging.LogManager.getLogManager().reset();
    ClientArgs a;
    try {
      a = ClientArgs.parse(List.of(args));
    } catch (ClientArgs.UsageException e) {
      if (!e.getMessage().isEmpty()) {
        System.err.println("spartan client: " + e.getMessage());
      }
      System.err.println(ClientArgs.USAGE);
      return e.getMessage().isEmpty() ? 0 : 2;
    }
    TransportProvider provider;
    try {
      provider = TransportProvider.named(a.transport());
    } catch (IllegalArgumentException e) {
      System.err.println("spartan client: " + e.getMessage());
      return 2;
    }
    X509TrustManager trust = null;
    if (a.ca() != null) {
      try {
        trust = PemFiles.trustManager(a.ca(), "--ca");
      } catch (TlsFileException e) {
        System.err.println("spartan client: " + e.getMessage());
        return 2;
      }
    }
    X509TrustManager caTrust = trust;
    Function<Dialer.Endpoint, ChatService> connector =
        e -> {
          TransportOptions options = TransportOptions.of(e.host(), e.port(), null);
          if (a.tls()) {
            // Connected to by address, a node must still show a certificate for the name given.
            String name =
                a.tlsName() != null
                    ? a.tlsName()
                    : e.serverName().equals(e.host()) ? null : e.serverName();
            options = options.withTls(new Tls.Client(caTrust, name));
          }
          return provider.connect(options);
        };
    Dialer dialer =
        Dialer.to(
            a.servers(),
            provider.defaultPort(),
            Dialer::systemResolver,
            connector,
            Dialer.Timing.DEFAULT);
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "spartan-client");
              t.setDaemon(true);
              return t;
            });
    try (Terminal terminal = TerminalBuilder.builder().name("spartan").system(true).build()) {
      Encryption.KeyFiles keys =
          a.noE2e()
              ? null
              : a.keys() != null
                  ? Encryption.KeyFiles.in(a.keys())
                  : Encryption.KeyFiles.underHome(
                      home(System.getenv("HOME"), System.getProperty("user.home")));
      Repl repl = new Repl(terminal, dialer, scheduler, ZoneId.systemDefault(), keys);
      log.info(
          "client starting: {} to {}{}",
          a.transport(),
          a.servers().stream().map(s -> s.label(provider.defaultPort())).toList(),
          a.tls() ? " over TLS" : "");
      return repl.run(a.user());
    } catch (IOException e) {
      System.err.println("spartan client: cannot open the terminal: " + e.getMessage());
      return 1;
    } finally {
      scheduler.shutdownNow();
    }
  }
}
