package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.Account;
import spartan.core.ChatService;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.testing.EventRecorder;
import spartan.core.testing.RedisProcess;

/** The server as wired from configuration: demo users, transports, the start-up line. */
class SpartanServerTest {
  @TempDir Path dir;

  private ServerConfig config(String... flags) {
    List<String> args = new java.util.ArrayList<>(List.of(
        "--store", "memory", "--grpc-port", "0", "--socket-port", "0",
        "--data", dir.resolve("data").toString()));
    args.addAll(List.of(flags));
    CommandLine cli = CommandLine.parse(args, Path.of("..", "config.yaml"));
    return ConfigLoader.load(cli.config, cli.overrides, cli.flags);
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void demoUsersChatThroughEachTransport(String transport) throws Exception {
    try (SpartanServer server = SpartanServer.start(config("--transport", transport))) {
      int port = server.ports().get(transport);
      try (ChatService chat =
          TransportProvider.named(transport)
              .connect(TransportOptions.of("127.0.0.1", port, null))) {
        Session alice = chat.login("alice", null);
        Session bob = chat.login("bob", null);
        EventRecorder bobEvents = EventRecorder.unbounded();
        bob.events(0).subscribe(bobEvents);
        bobEvents.awaitSubscribed();
        alice.send(Recipient.user("bob"), "Hey Bob!");
        assertThat(bobEvents.nextMessage().message().text()).isEqualTo("Hey Bob!");
        assertThat(alice.listAccounts("*", null, 100).items())
            .extracting(Account::user)
            .containsExactly("alice", "bar", "baz", "bob", "charlie", "eve", "foo", "qux");
      }
    }
  }

  @Test
  void bothTransportsServeTheSameCore() throws Exception {
    try (SpartanServer server = SpartanServer.start(config("--transport", "both"))) {
      Map<String, Integer> ports = server.ports();
      try (ChatService overGrpc = TransportProvider.named("grpc")
              .connect(TransportOptions.of("127.0.0.1", ports.get("grpc"), null));
          ChatService overSocket = TransportProvider.named("socket")
              .connect(TransportOptions.of("127.0.0.1", ports.get("socket"), null))) {
        Session alice = overGrpc.login("alice", null);
        Session bob = overSocket.login("bob", null);
        EventRecorder bobEvents = EventRecorder.unbounded();
        bob.events(0).subscribe(bobEvents);
        bobEvents.awaitSubscribed();
        alice.send(Recipient.user("bob"), "across the wires");
        assertThat(bobEvents.nextMessage().message().text()).isEqualTo("across the wires");
      }
    }
  }

  @Test
  void theStartUpLineNamesThePorts() {
    assertThat(ServerMain.startedLine(Map.of("grpc", 3000)))
        .isEqualTo("Spartan server started on port 3000.");
    assertThat(ServerMain.startedLine(new java.util.LinkedHashMap<>(Map.of("grpc", 3000))))
        .isEqualTo("Spartan server started on port 3000.");
    var both = new java.util.LinkedHashMap<String, Integer>();
    both.put("grpc", 3000);
    both.put("socket", 3001);
    assertThat(ServerMain.startedLine(both))
        .isEqualTo("Spartan server started on port 3000 (grpc) and port 3001 (socket).");
  }

  @Test
  void theEmbeddedStoreKeepsMessagesAcrossARestart() throws Exception {
    ServerConfig embedded = config("--transport", "grpc", "--store", "embedded");
    try (SpartanServer server = SpartanServer.start(embedded)) {
      try (ChatService chat = TransportProvider.named("grpc")
          .connect(TransportOptions.of("127.0.0.1", server.ports().get("grpc"), null))) {
        chat.login("alice", null).send(Recipient.user("bob"), "still here after a restart");
      }
    }
    try (SpartanServer server = SpartanServer.start(embedded)) {
      try (ChatService chat = TransportProvider.named("grpc")
          .connect(TransportOptions.of("127.0.0.1", server.ports().get("grpc"), null))) {
        assertThat(chat.login("bob", null).fetchUndelivered(10))
            .extracting(d -> d.message().text())
            .containsExactly("still here after a restart");
      }
    }
  }

  @Test
  void twoServersOnTheRedisStoreShareAccountsAndInboxes() throws Exception {
    try (RedisProcess redis = RedisProcess.startOnFreePort();
        SpartanServer one =
            SpartanServer.start(config("--transport", "grpc", "--store", "redis", "--redis", redis.url()));
        SpartanServer two =
            SpartanServer.start(
                config("--transport", "socket", "--store", "redis", "--redis", redis.url()))) {
      try (ChatService overGrpc = TransportProvider.named("grpc")
              .connect(TransportOptions.of("127.0.0.1", one.ports().get("grpc"), null));
          ChatService overSocket = TransportProvider.named("socket")
              .connect(TransportOptions.of("127.0.0.1", two.ports().get("socket"), null))) {
        overGrpc.login("alice", null).send(Recipient.user("bob"), "from node one");
        Session bob = overSocket.login("bob", null);
        assertThat(bob.fetchUndelivered(10))
            .extracting(d -> d.message().text())
            .containsExactly("from node one");
        assertThat(bob.listAccounts("b*", null, 10).items())
            .extracting(Account::user)
            .containsExactly("bar", "baz", "bob");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void aSenderOverTheLimitIsToldWhenToRetry(String transport) throws Exception {
    java.nio.file.Path yaml = dir.resolve("limited.yaml");
    java.nio.file.Files.writeString(
        yaml, "store:\n  type: memory\nrateLimit:\n  perSecond: 1\n  burst: 1\n");
    CommandLine cli = CommandLine.parse(
        List.of("--config", yaml.toString(), "--transport", transport, "--port", "0"),
        Path.of("..", "config.yaml"));
    try (SpartanServer server =
            SpartanServer.start(ConfigLoader.load(cli.config, cli.overrides, cli.flags));
        ChatService chat = TransportProvider.named(transport)
            .connect(TransportOptions.of("127.0.0.1", server.ports().get(transport), null))) {
      server.core().createAccount("alice", null);
      server.core().createAccount("bob", null);
      Session alice = chat.login("alice", null);
      spartan.core.ChatException limited = null;
      for (int i = 0; i < 10 && limited == null; i++) {
        try {
          alice.send(Recipient.user("bob"), "m" + i);
        } catch (spartan.core.ChatException e) {
          limited = e;
        }
      }
      assertThat(limited).isNotNull();
      assertThat(limited.code()).isEqualTo(spartan.core.ErrorCode.RATE_LIMITED);
      assertThat(limited.retryAfter()).isPositive();
      assertThat(limited.getMessage()).startsWith("Rate limited — try again in");
    }
  }

  /** The audit restarted a password-mode data directory with --auth open and logged in freely. */
  @Test
  void openModeOverAStoreWithPasswordsRefusesToStartNamingTheSetting() throws Exception {
    try (SpartanServer server =
        SpartanServer.start(
            config("--transport", "grpc", "--store", "embedded", "--auth", "password"))) {
      server.core().createAccount("alice", "password-alice");
    }
    assertThatThrownBy(
            () -> SpartanServer.start(config("--transport", "grpc", "--store", "embedded")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth: open refused")
        .hasMessageContaining("--auth password");
    // The refused start released the data directory: password mode still opens it.
    try (SpartanServer server =
        SpartanServer.start(
            config("--transport", "grpc", "--store", "embedded", "--auth", "password"))) {
      assertThat(server.core().login("alice", "password-alice").user()).isEqualTo("alice");
    }
  }

  @Test
  void theDataDirectoryIsCreatedPrivate() throws Exception {
    try (SpartanServer server =
        SpartanServer.start(config("--transport", "grpc", "--store", "embedded"))) {
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  java.nio.file.Files.getPosixFilePermissions(dir.resolve("data"))))
          .isEqualTo("rwx------");
    }
  }
}
