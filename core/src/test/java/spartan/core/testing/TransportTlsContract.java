package spartan.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;
import spartan.core.tls.PemFiles;

/**
 * What TLS must do on every transport, over a real loopback server: a client refuses a server
 * whose certificate it does not trust or that names another host, with a message that says so; a
 * plain-text peer gets nowhere and does not disturb the server; and replaced certificate files,
 * once reloaded, are what the next connection sees. One subclass per transport names it.
 */
public abstract class TransportTlsContract {
  /** The transport's name for {@link TransportProvider#named}. */
  protected abstract String transport();

  @TempDir Path dir;
  private ExecutorService executor;
  private LocalChatService core;
  private TransportServer server;
  private TestTls tls;
  private TransportProvider provider;
  private final List<ChatService> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    executor = Executors.newCachedThreadPool();
    core =
        LocalChatService.builder()
            .store(new MemoryChatStore())
            .deliveryExecutor(executor)
            .authMode(AuthMode.OPEN)
            .build();
    core.createAccount("alice", null);
    core.createAccount("bob", null);
    tls = TestTls.in(dir.resolve("certs"));
    provider = TransportProvider.named(transport());
    server =
        provider.serve(core, TransportOptions.of("127.0.0.1", 0, executor).withTls(tls.server()));
  }

  @AfterEach
  void stop() throws Exception {
    for (ChatService c : clients) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
    core.close();
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
  }

  private ChatService connect(String host, Tls.Client client) {
    ChatService c =
        provider.connect(TransportOptions.of(host, server.port(), null).withTls(client));
    clients.add(c);
    return c;
  }

  private static void assertRefused(ChatService client, String... words) {
    assertThatThrownBy(() -> client.login("alice", null))
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.getMessage()).contains(words);
            });
  }

  @Test
  void chatWorksOverTlsByIpAndByName() {
    Session alice = connect("127.0.0.1", tls.client()).login("alice", null);
    Session bob = connect("localhost", tls.client()).login("bob", null);
    EventRecorder r = EventRecorder.unbounded();
    bob.events(0).subscribe(r);
    r.awaitSubscribed();
    alice.send(Recipient.user("bob"), "over TLS");
    assertThat(r.nextMessage().delivery().message().text()).isEqualTo("over TLS");
  }

  @Test
  void aServerSignedByAnotherCaIsRefusedAsNotTrusted() {
    TestTls other = TestTls.in(dir.resolve("other"));
    assertRefused(connect("127.0.0.1", other.client()), "not trusted", "--ca");
  }

  @Test
  void theSystemTrustStoreDoesNotTrustAPrivateCa() {
    assertRefused(connect("127.0.0.1", Tls.Client.systemTrust()), "not trusted");
  }

  @Test
  void aCertificateForAnotherNameIsRefusedAsNotIssuedForIt() {
    assertRefused(connect("127.0.0.1", tls.client("chat.example.org")), "not issued for",
        "chat.example.org");
  }

  @Test
  void aTlsClientToAPlainServerIsToldTheServerDoesNotSpeakTls() throws Exception {
    try (TransportServer plain =
        provider.serve(core, TransportOptions.of("127.0.0.1", 0, executor))) {
      ChatService c =
          provider.connect(TransportOptions.of("127.0.0.1", plain.port(), null)
              .withTls(tls.client()));
      clients.add(c);
      assertRefused(c, "does not speak TLS");
    }
  }

  @Test
  void aPlainTextClientGetsNowhereAndTheServerGoesOn() {
    ChatService plain = provider.connect(TransportOptions.of("127.0.0.1", server.port(), null));
    clients.add(plain);
    assertThatThrownBy(() -> plain.login("alice", null))
        .isInstanceOfSatisfying(
            ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThat(connect("127.0.0.1", tls.client()).login("alice", null).user()).isEqualTo("alice");
  }

  @Test
  void replacedCertificateFilesAreServedToNewConnectionsOnceReloaded() throws Exception {
    Session before = connect("127.0.0.1", tls.client()).login("alice", null);
    assertThat(tls.keys().reloadIfChanged()).as("nothing changed yet").isFalse();

    // A renewal: a new CA's certificate and key written over the served files.
    TestTls renewed = TestTls.in(dir.resolve("renewed"));
    Files.copy(renewed.files().key(), tls.files().key(),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.keys().reloadIfChanged())
        .as("a key without its certificate is not a usable pair")
        .isFalse();
    Files.copy(renewed.files().certificate(), tls.files().certificate(),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(tls.keys().reloadIfChanged()).isTrue();

    assertThat(connect("127.0.0.1", renewed.client()).login("bob", null).user()).isEqualTo("bob");
    assertRefused(connect("127.0.0.1", tls.client()), "not trusted");
    // The connection made before the reload keeps working.
    assertThat(before.listAccounts("*", null, 10).items()).hasSize(2);
  }

  /** The CA file a client is given must hold certificates; a key file is refused by name. */
  @Test
  void aCaFileWithoutCertificatesIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> PemFiles.trustManager(tls.files().key(), "--ca"))
        .hasMessageContaining("--ca")
        .hasMessageContaining("no PEM certificate");
  }
}
