package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;
import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.crypto.Identity;
import spartan.core.crypto.PublicKeys;
import spartan.core.crypto.Sealer;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * End-to-end encryption as people at two or more REPLs see it, against an in-process server (and
 * over both transports), with the server's store and log inspected for the plaintext.
 */
class EncryptionTest {
  private static final String CHOOSE = "[Spartan] Enter a user whom you want to chat with: ";

  @TempDir Path keys;
  @TempDir Path data;

  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(ChatFixture.daemon("sqlite"));
  private final ExecutorService blocking =
      Executors.newCachedThreadPool(ChatFixture.daemon("server-calls"));
  private ChatFixture chat;
  private TransportServer server;

  @AfterEach
  void stop() throws Exception {
    try {
      if (chat != null) {
        chat.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
      blocking.shutdownNow();
      writer.shutdownNow();
    }
  }

  private ChatFixture memory() {
    chat = new ChatFixture(AuthMode.OPEN, new MemoryChatStore(), keys);
    return chat;
  }

  /** alice asks bob to chat, bob accepts; both at their chat prompts. */
  private ChatFixture.Client[] chatting(Supplier<ChatService> connector, int port)
      throws Exception {
    var bob = chat.start("bob", connector, port);
    bob.awaitPrompt(CHOOSE);
    var alice = chat.start("alice", connector, port);
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitLine("[Spartan] You are now ready to chat with bob.");
    bob.awaitPrompt(
        "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different user:"
            + " ");
    bob.type("yes");
    bob.awaitLine("[Spartan] You are now ready to chat with alice.");
    alice.awaitLine("[Spartan] bob accepted your chat request.");
    alice.awaitPrompt("[alice] > ");
    bob.awaitPrompt("[bob] > ");
    return new ChatFixture.Client[] {alice, bob};
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "grpc", "socket"})
  void aliceAndBobChatSealedAndTheServerNeverSeesTheText(String transport) throws Exception {
    chat = new ChatFixture(AuthMode.OPEN, SqliteChatStore.open(data, writer), keys);
    Supplier<ChatService> connector = chat::inProcess;
    int port = 3000;
    if (!transport.equals("in-process")) {
      TransportProvider provider = TransportProvider.named(transport);
      server = provider.serve(chat.core, TransportOptions.of("127.0.0.1", 0, blocking));
      port = server.port();
      int p = port;
      connector = () -> provider.connect(TransportOptions.of("127.0.0.1", p, null));
    }
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger spartan = (Logger) LoggerFactory.getLogger("spartan");
    Level before = spartan.getLevel();
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    spartan.setLevel(Level.TRACE);
    String marker = "Hey Bob! secret-" + UUID.randomUUID();
    String reply = "Hi Alice! secret-" + UUID.randomUUID();
    try {
      var both = chatting(connector, port);
      var alice = both[0];
      var bob = both[1];
      alice.type(marker);
      bob.awaitLine("[alice] " + marker);
      bob.type(reply);
      alice.awaitLine("[bob] " + reply);
      alice.type("/history bob");
      alice.awaitLine("[Spartan] Last 2 message(s) with bob:");
      alice.awaitLine("[alice] (14:02) " + marker);
      alice.awaitLine("[bob] (14:02) " + reply);
      // Exactly what an unencrypted chat shows: no warnings, questions or failures.
      assertThat(alice.screen.lines())
          .containsExactly(
              "[Spartan] Connected to Spartan Server at port " + port + ".",
              "[Spartan] User list: bar,baz,bob,charlie,eve,foo,qux",
              "[Spartan] Enter a user whom you want to chat with: bob",
              "[Spartan] You are now ready to chat with bob.",
              "[Spartan] bob accepted your chat request.",
              "[alice] > " + marker,
              "[bob] " + reply,
              "[alice] > /history bob",
              "[Spartan] Last 2 message(s) with bob:",
              "[alice] (14:02) " + marker,
              "[bob] (14:02) " + reply);
      assertThat(bob.screen.lines())
          .containsExactly(
              "[Spartan] Connected to Spartan Server at port " + port + ".",
              "[Spartan] User list: alice,bar,baz,charlie,eve,foo,qux",
              "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different"
                  + " user: yes",
              "[Spartan] You are now ready to chat with alice.",
              "[alice] " + marker,
              "[bob] > " + reply);

      // What the server stored, read straight from the core: two sealed bodies.
      assertThat(chat.login("bob").history(Recipient.user("alice"), 0, 100))
          .hasSize(2)
          .allSatisfy(m -> assertThat(m.body()).isInstanceOf(MessageBody.Sealed.class));
    } finally {
      root.detachAppender(log);
      spartan.setLevel(before);
    }
    chat.close(); // flushes and closes the database, so every byte written is in the files
    chat = null;
    for (String secret : List.of(marker, reply, "secret-")) {
      assertThat(filesContaining(secret)).isEmpty();
      for (ILoggingEvent e : log.list) {
        assertThat(e.getFormattedMessage()).doesNotContain(secret);
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
          assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
        }
      }
    }
  }

  @Test
  void bothSidesShowTheSameSafetyNumber() throws Exception {
    memory();
    var both = chatting(chat::inProcess, 3000);
    var alice = both[0];
    var bob = both[1];
    alice.type("/fingerprint bob");
    String bobSeenByAlice =
        alice.screen.awaitLineMatching(
            l -> l.startsWith("[Spartan] Fingerprint of bob: "), "bob's");
    String aliceNumber =
        alice.screen.awaitLineMatching(
            l -> l.startsWith("[Spartan] Safety number with bob: "), "n");
    bob.type("/fingerprint alice");
    String bobNumber =
        bob.screen.awaitLineMatching(
            l -> l.startsWith("[Spartan] Safety number with alice: "), "n");
    bob.type("/fingerprint bob");
    String bobOwn =
        bob.screen.awaitLineMatching(
            l -> l.startsWith("[Spartan] Your fingerprint (bob): "), "own");

    String number = aliceNumber.substring(aliceNumber.indexOf(": ") + 2);
    assertThat(number).matches("(\\d{5} ){11}\\d{5}\\.");
    assertThat(bobNumber.substring(bobNumber.indexOf(": ") + 2)).isEqualTo(number);
    assertThat(bobOwn.substring(bobOwn.indexOf(": ") + 2))
        .isEqualTo(bobSeenByAlice.substring(bobSeenByAlice.indexOf(": ") + 2));
  }

  @Test
  void aChangedKeyIsAnnouncedAndRefusedUntilAccepted() throws Exception {
    memory();
    var both = chatting(chat::inProcess, 3000);
    var alice = both[0];
    var bob = both[1];
    alice.type("first");
    bob.awaitLine("[alice] first");
    assertThat(bob.finish()).isZero();

    // bob on a new machine: a fresh key directory, so a new identity is published at login.
    var newBob = chat.start("bob", chat::inProcess, 3000, keys.resolve("new"));
    newBob.awaitPrompt(CHOOSE);

    alice.type("second");
    alice.awaitLine(
        "[Spartan] WARNING: bob's encryption key has changed. Someone may be impersonating bob, or"
            + " bob has a new device or lost the key file. Messages to and from bob are refused"
            + " until you compare fingerprints (/fingerprint bob), then /accept-key bob.");
    alice.awaitLine(
        "[Spartan] Not sent: bob's encryption key has changed. Compare fingerprints"
            + " (/fingerprint bob), then /accept-key bob.");
    alice.type("second again");
    alice.awaitLine(
        "[Spartan] Not sent: bob's encryption key has changed. Compare fingerprints"
            + " (/fingerprint bob), then /accept-key bob.");
    assertThat(chat.login("bob").history(Recipient.user("alice"), 0, 100)).hasSize(1);
    assertThat(alice.screen.lines()).filteredOn(l -> l.contains("WARNING")).hasSize(1);

    // Nor is anything signed with the unaccepted key shown.
    newBob.type("alice");
    newBob.awaitPrompt("[bob] > ");
    newBob.type("from the new bob");
    alice.awaitLine(
        "[Spartan] A message from bob could not be opened: bob's encryption key has changed;"
            + " compare fingerprints (/fingerprint bob), then /accept-key bob.");

    alice.type("/fingerprint bob");
    alice.screen.awaitLineMatching(l -> l.startsWith("[Spartan] NEW fingerprint of bob: "), "new");
    alice.type("/accept-key bob");
    alice.screen.awaitLineMatching(
        l -> l.startsWith("[Spartan] Accepted the new key of bob "), "ok");
    alice.type("third");
    newBob.awaitLine("[alice] third");
    newBob.type("new bob again");
    alice.awaitLine("[bob] new bob again");
    assertThat(alice.screen.lines()).noneMatch(l -> l.contains("from the new bob"));
    assertThat(newBob.screen.lines()).noneMatch(l -> l.contains("second"));
  }

  @Test
  void aRecipientWithoutKeysGetsPlainTextOnlyAfterConfirmation() throws Exception {
    memory();
    Session bob = chat.login("bob"); // a client that never publishes keys
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    String question = "[Spartan] bob has no encryption keys; send as plain text? (yes/no): ";
    alice.type("not this one");
    alice.awaitPrompt(question);
    alice.type("no");
    alice.awaitLine("[Spartan] Not sent.");
    alice.type("hello in the clear");
    alice.awaitPrompt(question);
    alice.type("yes");
    alice.awaitPrompt("[alice] > ");
    alice.type("and again"); // agreed once for this conversation: no second question
    List<String> got = new ArrayList<>();
    await()
        .atMost(Screen.TIMEOUT)
        .until(
            () -> {
              for (Delivery d : bob.fetchUndelivered(10)) {
                got.add(d.message().text());
                bob.ack(d.seq());
              }
              return got.contains("and again");
            });
    assertThat(got).doesNotContain("not this one").contains("hello in the clear", "and again");
    assertThat(alice.screen.lines()).filteredOn(l -> l.contains("plain text?")).hasSize(2);

    // Once bob publishes keys, the same conversation is sealed again, without asking.
    bob.publishKeys(Identity.generate(new SecureRandom()).publicKeys().encode());
    alice.type("now sealed");
    List<MessageBody> bodies = new ArrayList<>();
    await()
        .atMost(Screen.TIMEOUT)
        .until(
            () -> {
              for (Delivery d : bob.fetchUndelivered(10)) {
                bodies.add(d.message().body());
                bob.ack(d.seq());
              }
              return !bodies.isEmpty();
            });
    assertThat(bodies).singleElement().isInstanceOf(MessageBody.Sealed.class);
    assertThat(alice.screen.lines()).filteredOn(l -> l.contains("plain text?")).hasSize(2);
  }

  @Test
  void aGroupOfThreeReadsSealedMessagesAndOthersGetNothing() throws Exception {
    memory();
    var bob = chat.start("bob");
    var charlie = chat.start("charlie");
    var eve = chat.start("eve");
    for (var c : List.of(bob, charlie, eve)) {
      c.awaitPrompt(CHOOSE);
    }
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("/group create team bob charlie");
    alice.awaitLine("[Spartan] Group team created; invited bob,charlie.");
    for (var member : List.of(bob, charlie)) {
      member.awaitLine(
          "[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
      member.type("/join team");
      member.awaitLine("[Spartan] You joined group team.");
    }
    alice.type("/g team Hello team, sealed");
    bob.awaitLine("[team/alice] Hello team, sealed");
    charlie.awaitLine("[team/alice] Hello team, sealed");
    bob.type("/g team bob here");
    alice.awaitLine("[team/bob] bob here");
    charlie.awaitLine("[team/bob] bob here");

    assertThat(chat.login("charlie").history(Recipient.group("team"), 0, 100))
        .hasSize(2)
        .allSatisfy(m -> assertThat(m.body()).isInstanceOf(MessageBody.Sealed.class));
    assertThat(chat.store.inbox("eve", 0, 100)).isEmpty();
    assertThat(eve.screen.lines()).noneMatch(l -> l.contains("team"));
  }

  @Test
  void aNewGroupMemberIsAnnouncedWithTheirFingerprintBeforeAnythingIsSealedForThem()
      throws Exception {
    memory();
    var bob = chat.start("bob");
    var charlie = chat.start("charlie");
    for (var c : List.of(bob, charlie)) {
      c.awaitPrompt(CHOOSE);
    }
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("/group create team bob");
    bob.awaitLine("[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
    bob.type("/join team");
    bob.awaitLine("[Spartan] You joined group team.");
    alice.awaitLine("[Spartan] bob joined team (invited by alice)");
    alice.type("/g team first");
    alice.screen.awaitLineMatching(
        l -> l.startsWith("[Spartan] Messages to team are now also sealed for bob (fingerprint ")
            && l.contains("first time you see this key"),
        "bob announced");
    bob.awaitLine("[team/alice] first");

    // bob, an admin, invites charlie; alice never dealt with charlie
    alice.type("/admin team bob");
    bob.awaitLine("[Spartan] alice made you an admin of team");
    bob.type("/invite team charlie");
    charlie.awaitLine(
        "[Spartan] bob invites you to team. Type /join team to accept or /decline team.");
    charlie.type("/join team");
    charlie.awaitLine("[Spartan] You joined group team.");
    alice.awaitLine("[Spartan] charlie joined team (invited by bob)");
    alice.type("/g team second");
    charlie.awaitLine("[team/alice] second");
    assertThat(alice.screen.lines())
        .filteredOn(l -> l.contains("now also sealed for"))
        .hasSize(2)
        .anyMatch(l -> l.contains("sealed for charlie (fingerprint "));

    charlie.type("/g team hi, I am charlie");
    bob.screen.awaitLineMatching(
        l -> l.startsWith("[Spartan] First message from charlie in team; their key is now pinned"),
        "charlie's key shown to bob");
    bob.awaitLine("[team/charlie] hi, I am charlie");
  }

  @Test
  void aGroupMemberWithoutKeysIsNamedInTheQuestion() throws Exception {
    memory();
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    Session eve = chat.login("eve"); // never publishes keys
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("/group create team bob eve");
    alice.awaitLine("[Spartan] Group team created; invited bob,eve.");
    // typed before the invitation is shown, the reply can land on the redrawn prompt's line
    bob.awaitLine("[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
    bob.type("/join team");
    bob.awaitLine("[Spartan] You joined group team.");
    eve.joinGroup("team");
    alice.awaitLine("[Spartan] eve joined team (invited by alice)");
    alice.type("/g team hello all");
    alice.awaitPrompt("[Spartan] eve has no encryption keys; send as plain text? (yes/no): ");
    alice.type("no");
    alice.awaitLine("[Spartan] Not sent.");
    assertThat(eve.history(Recipient.group("team"), 0, 100)).isEmpty();
  }

  @Test
  void anUnusableKeyFileIsAnnouncedAndSendingAsks() throws Exception {
    memory();
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    Files.writeString(keys.resolve("alice.identity"), "not a key file\n");
    Files.setPosixFilePermissions(
        keys.resolve("alice.identity"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    var alice = chat.start("alice");
    alice
        .screen
        .awaitLineMatching(l -> l.startsWith("[Spartan] Encryption is unavailable: "), "warning");
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    alice.type("hi");
    alice.awaitPrompt(
        "[Spartan] Encryption is unavailable (your key files cannot be used); send as plain text?"
            + " (yes/no): ");
    alice.type("no");
    alice.awaitLine("[Spartan] Not sent.");
    assertThat(chat.login("bob").history(Recipient.user("alice"), 0, 100)).isEmpty();
  }

  @Test
  void aClientWithEncryptionOffSaysItCannotOpenSealedMessages() throws Exception {
    memory();
    var bob = chat.start("bob", chat::inProcess, 3000, null); // --no-e2e
    bob.awaitPrompt(CHOOSE);
    Identity aliceId = Identity.loadOrCreate(keys.resolve("alice.identity"), new SecureRandom());
    Session alice = chat.login("alice");
    alice.publishKeys(aliceId.publicKeys().encode());
    assertThat(alice.fetchKeys("bob")).isEmpty(); // bob's client published nothing
    String id = UUID.randomUUID().toString();
    byte[] env =
        new Sealer(new SecureRandom())
            .seal(
                aliceId,
                "alice",
                Recipient.user("bob"),
                id,
                Map.of("bob", aliceId.publicKeys()),
                "sealed".getBytes(StandardCharsets.UTF_8));
    alice.send(Recipient.user("bob"), MessageBody.sealed(env), id);
    bob.awaitLine(
        "[Spartan] A message from alice could not be opened: encryption is off in this client.");
  }

  @Test
  void aTamperedEnvelopeShowsWhyAndNoText() throws Exception {
    memory();
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    // alice's client, by hand: her identity and keys as her REPL would publish them.
    Identity aliceId = Identity.loadOrCreate(keys.resolve("alice.identity"), new SecureRandom());
    Session alice = chat.login("alice");
    alice.publishKeys(aliceId.publicKeys().encode());
    PublicKeys bobKeys = PublicKeys.decode(alice.fetchKeys("bob").orElseThrow());
    Sealer sealer = new Sealer(new SecureRandom());

    String id = UUID.randomUUID().toString();
    byte[] env =
        sealer.seal(
            aliceId,
            "alice",
            Recipient.user("bob"),
            id,
            Map.of("bob", bobKeys),
            "tampered secret".getBytes(StandardCharsets.UTF_8));
    env[env.length / 2] ^= 0x01;
    alice.send(Recipient.user("bob"), MessageBody.sealed(env), id);
    String line =
        bob.screen.awaitLineMatching(
            l -> l.startsWith("[Spartan] A message from alice could not be opened: "), "failure");
    assertThat(line)
        .isEqualTo(
            "[Spartan] A message from alice could not be opened: signature does not verify: the"
                + " message was altered or not sent by alice.");

    String id2 = UUID.randomUUID().toString();
    alice.send(
        Recipient.user("bob"),
        MessageBody.sealed(
            sealer.seal(
                aliceId,
                "alice",
                Recipient.user("bob"),
                id2,
                Map.of("bob", bobKeys),
                "intact".getBytes(StandardCharsets.UTF_8))),
        id2);
    bob.awaitLine("[alice] intact");
    assertThat(bob.screen.lines()).noneMatch(l -> l.contains("tampered secret"));
  }

  @Test
  void sealedMessagesSentDuringAnOutageOpenAfterTheReconnect() throws Exception {
    memory();
    Outage outage = new Outage(chat.core);
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    var alice = chat.start("alice", outage::connect);
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    bob.awaitPrompt(
        "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different user:"
            + " ");
    bob.type("yes");
    bob.awaitPrompt("[bob] > ");
    bob.type("one");
    alice.awaitLine("[bob] one");

    outage.goDown();
    alice.awaitLine("[Spartan] Lost connection to the server; reconnecting…");
    bob.type("two");
    alice.type("are you there?");
    alice.awaitLine("[Spartan] Not done: the server is unreachable; reconnecting…");
    outage.comeBackWithoutSessions();
    alice.awaitLine("[Spartan] Reconnected.");
    alice.awaitLine("[bob] two");
    alice.type("back");
    bob.awaitLine("[alice] back");
    assertThat(alice.screen.lines()).filteredOn(l -> l.startsWith("[bob] ")).hasSize(2);
    assertThat(bob.screen.lines()).noneMatch(l -> l.contains("are you there?"));
    assertThat(chat.login("bob").history(Recipient.user("alice"), 0, 100))
        .hasSize(3)
        .allSatisfy(m -> assertThat(m.body()).isInstanceOf(MessageBody.Sealed.class));
  }

  @Test
  void theNewCommandsAreInHelpAndTabCompletion() throws Exception {
    memory();
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("/help");
    alice.awaitLine(
        "  /fingerprint <user>      fingerprints and safety number, to compare with user");
    alice.awaitLine("  /accept-key <user>       trust user's new encryption key (after comparing)");
    var completer = new NameCompleter(alice.repl.state);
    assertThat(complete(completer, "/fi")).contains("/fingerprint");
    assertThat(complete(completer, "/acc")).contains("/accept-key");
    assertThat(complete(completer, "/fingerprint b")).contains("bob").doesNotContain("alice");
    alice.type("/fingerprint");
    alice.awaitLine("[Spartan] Usage: /fingerprint <user>");
  }

  @Test
  void aReplayedEnvelopeUnderANewServerIdIsShownOnce() throws Exception {
    memory();
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    Identity aliceId = Identity.loadOrCreate(keys.resolve("alice.identity"), new SecureRandom());
    Session alice = chat.login("alice");
    alice.publishKeys(aliceId.publicKeys().encode());
    PublicKeys bobKeys = PublicKeys.decode(alice.fetchKeys("bob").orElseThrow());
    String id = UUID.randomUUID().toString();
    byte[] env =
        new Sealer(new SecureRandom())
            .seal(
                aliceId,
                "alice",
                Recipient.user("bob"),
                id,
                Map.of("bob", bobKeys),
                "only once".getBytes(StandardCharsets.UTF_8));
    var m =
        new spartan.core.Message(
            1,
            "alice",
            Recipient.user("bob"),
            MessageBody.sealed(env),
            java.time.Instant.parse("2026-01-01T14:02:00Z"),
            id);
    var replay = new spartan.core.Message(2, m.from(), m.to(), m.body(), m.sentAt(), id);
    // What a replaying server would make the client show, straight through the seam.
    assertThat(bob.repl.messenger.firstSight(m)).isTrue();
    assertThat(bob.repl.messenger.live(m)).isEqualTo("[alice] only once");
    assertThat(bob.repl.messenger.firstSight(replay)).isFalse();
  }

  private static List<String> complete(NameCompleter c, String line) {
    var parsed = new org.jline.reader.impl.DefaultParser().parse(line, line.length());
    var out = new ArrayList<org.jline.reader.Candidate>();
    c.complete(null, parsed, out);
    return out.stream().map(org.jline.reader.Candidate::value).toList();
  }

  /** The scan above is no vacuous pass: with encryption off the same text is in the files. */
  @Test
  void withEncryptionOffTheScanFindsTheText() throws Exception {
    chat = new ChatFixture(AuthMode.OPEN, SqliteChatStore.open(data, writer), null);
    var both = chatting(chat::inProcess, 3000);
    String marker = "plain-" + UUID.randomUUID();
    both[0].type(marker);
    both[1].awaitLine("[alice] " + marker);
    chat.close();
    chat = null;
    assertThat(filesContaining(marker)).isNotEmpty();
  }

  /** Files under the server's data directory (database, -wal, -shm …) holding {@code text}. */
  private List<Path> filesContaining(String text) throws Exception {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    List<Path> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(data)) {
      List<Path> all = files.filter(Files::isRegularFile).toList();
      assertThat(all).isNotEmpty();
      for (Path f : all) {
        if (indexOf(Files.readAllBytes(f), needle) >= 0) {
          found.add(f);
        }
      }
    }
    return found;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
