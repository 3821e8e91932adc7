package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.tls.PemFiles;

/** TLS as an operator turns it on: {@code spartan certs}, then the server's two settings. */
class TlsServerTest {
  @TempDir Path dir;

  private ServerConfig config(String... flags) {
    List<String> args = new ArrayList<>(List.of(
        "--store", "memory", "--grpc-port", "0", "--socket-port", "0",
        "--data", dir.resolve("data").toString()));
    args.addAll(List.of(flags));
    CommandLine cli = CommandLine.parse(args, Path.of("..", "config.yaml"));
    return ConfigLoader.load(cli.config, cli.overrides, cli.flags);
  }

  private Path certs() {
    Path certs = dir.resolve("certs");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        CertsMain.run(List.of("--dir", certs.toString(), "--host", "chat.example.org"),
            new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("server-key.pem (server key, owner-only)")
        .contains("chat.example.org, localhost, 127.0.0.1, ::1");
    return certs;
  }

  @Test
  void bothTransportsServeTlsFromTheCertsCommandsFiles() throws Exception {
    Path certs = certs();
    try (SpartanServer server =
        SpartanServer.start(
            config(
                "--transport", "both",
                "--tls-cert", certs.resolve("server.pem").toString(),
                "--tls-key", certs.resolve("server-key.pem").toString()))) {
      Tls.Client trust =
          new Tls.Client(PemFiles.trustManager(certs.resolve("ca.pem"), "--ca"), null);
      for (Map.Entry<String, Integer> e : server.ports().entrySet()) {
        TransportProvider p = TransportProvider.named(e.getKey());
        try (ChatService tls =
                p.connect(TransportOptions.of("localhost", e.getValue(), null).withTls(trust));
            ChatService plain = p.connect(TransportOptions.of("127.0.0.1", e.getValue(), null))) {
          assertThat(tls.login("alice", null).user()).as(e.getKey()).isEqualTo("alice");
          assertThatThrownBy(() -> plain.login("alice", null))
              .as(e.getKey())
              .isInstanceOfSatisfying(
                  ChatException.class,
                  x -> assertThat(x.code()).isEqualTo(ErrorCode.UNAVAILABLE));
        }
      }
      assertThat(server.tlsKeys().reloadIfChanged()).isFalse();
    }
  }

  @Test
  void badTlsSettingsStopStartUpNamingTheSetting() throws Exception {
    Path certs = certs();
    String cert = certs.resolve("server.pem").toString();
    String key = certs.resolve("server-key.pem").toString();
    assertThatThrownBy(() -> config("--tls-cert", cert))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--tls-cert needs tls.key (--tls-key)");
    String missing = dir.resolve("nope").toString();
    assertThatThrownBy(() -> config("--tls-cert", cert, "--tls-key", missing))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--tls-key file not found");
    // A certificate given as the key, and a key that is not the certificate's.
    assertThatThrownBy(() -> SpartanServer.start(config("--tls-cert", cert, "--tls-key", cert)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.key (")
        .hasMessageContaining("holds no PEM private key");
    Path other = dir.resolve("other");
    CertsMain.run(List.of("--dir", other.toString()), new PrintStream(new ByteArrayOutputStream()),
        System.err);
    assertThatThrownBy(
            () ->
                SpartanServer.start(
                    config(
                        "--tls-cert", cert,
                        "--tls-key", other.resolve("server-key.pem").toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("does not belong to the certificate in tls.cert");
    assertThat(Files.readString(Path.of(cert))).startsWith("-----BEGIN CERTIFICATE-----");
  }

  @Test
  void certsRefusesToOverwriteWithoutForce() {
    Path certs = certs();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        CertsMain.run(List.of("--dir", certs.toString()), System.out,
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("exists; use --force");
    assertThat(CertsMain.run(List.of("--dir", certs.toString(), "--force"),
        new PrintStream(new ByteArrayOutputStream()), System.err)).isZero();
  }

  @Test
  void plainTextOnANetworkAddressWarnsLoudly() {
    Logger log = (Logger) LoggerFactory.getLogger(SpartanServer.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    try {
      // The check start-up makes without TLS (called directly: the test binds no network port).
      SpartanServer.warnIfPlainTextBeyondLoopback("127.0.0.1");
      SpartanServer.warnIfPlainTextBeyondLoopback("::1");
      assertThat(seen.list).isEmpty();
      SpartanServer.warnIfPlainTextBeyondLoopback("0.0.0.0");
      assertThat(seen.list)
          .singleElement()
          .satisfies(e -> assertThat(e.getFormattedMessage())
              .startsWith("NO TLS ON A NETWORK ADDRESS (0.0.0.0)")
              .contains("tls.cert"));
    } finally {
      log.detachAppender(seen);
    }
  }
}
