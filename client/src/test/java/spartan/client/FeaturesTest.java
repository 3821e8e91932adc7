package spartan.client;

import spartan.core.service.ForwardingChatService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.GroupPolicy;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;

/** Offline messages, groups, errors, keys and passwords, each through a REPL on a dumb terminal. */
class FeaturesTest {
  private static final String CHOOSE = "[Spartan] Enter a user whom you want to chat with: ";

  private ChatFixture chat = new ChatFixture();

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  @Test
  void messagesThatWaitedAreShownAtLoginInOrderMarkedEarlierThenLiveOnesPlain() throws Exception {
    Session alice = chat.login("alice");
    alice.send(Recipient.user("bob"), "first");
    alice.send(Recipient.user("bob"), "second");
    chat.clock.advance(Duration.ofMinutes(3));

    var bob = chat.start("bob");
    bob.awaitLine("[alice] (earlier, 14:02) first");
    bob.awaitLine("[alice] (earlier, 14:02) second");
    alice.send(Recipient.user("bob"), "now");
    bob.awaitLine("[alice] now");
    bob.awaitPrompt(CHOOSE);
    assertThat(bob.screen.lines())
        .containsExactly(
            "[Spartan] Connected to Spartan Server at port 3000.",
            "[Spartan] User list: alice,bar,baz,charlie,eve,foo,qux",
            "[alice] (earlier, 14:02) first",
            "[alice] (earlier, 14:02) second",
            "[alice] now");
    // Shown means acked: nothing waits for bob any more.
    Session other = chat.login("bob");
    await().atMost(Screen.TIMEOUT).until(() -> other.fetchUndelivered(10).isEmpty());
  }

  @Test
  void aPolicyChangeIsPrintedToEveryMember() throws Exception {
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    Session alice = chat.login("alice");
    alice.createGroup("team", List.of("bob"));
    bob.awaitLine(
        "[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
    bob.type("/join team");
    bob.awaitLine("[Spartan] You joined group team.");
    alice.setGroupPolicy("team", new GroupPolicy(true, true));
    bob.awaitLine("[Spartan] alice made team public (new members can read history from now on)");
    alice.setGroupPolicy("team", GroupPolicy.PRIVATE);
    bob.awaitLine("[Spartan] alice made team invite-only");
  }

  @Test
  void aGroupMessageReachesEveryMemberAndNoOneElse() throws Exception {
    var alice = chat.start("alice");
    var bob = chat.start("bob");
    var charlie = chat.start("charlie");
    var eve = chat.start("eve");
    var foo = chat.start("foo");
    for (var c : new ChatFixture.Client[] {alice, bob, charlie, eve, foo}) {
      c.awaitPrompt(CHOOSE);
    }
    alice.type("/group create team bob charlie eve");
    alice.awaitLine("[Spartan] Group team created; invited bob,charlie,eve.");
    for (var member : List.of(bob, charlie, eve)) {
      String name = member == bob ? "bob" : member == charlie ? "charlie" : "eve";
      member.awaitLine(
          "[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
      member.type("/join team");
      member.awaitLine("[Spartan] You joined group team.");
      alice.awaitLine("[Spartan] " + name + " joined team (invited by alice)");
    }
    alice.type("/g team hi all");
    bob.awaitLine("[team/alice] hi all");
    charlie.awaitLine("[team/alice] hi all");
    eve.awaitLine("[team/alice] hi all");
    // Per-inbox order: had foo received the group message, it would come before this one.
    alice.type("/chat foo");
    alice.awaitLine("[Spartan] You are now ready to chat with foo.");
    alice.type("sentinel");
    foo.awaitLine("[alice] sentinel");
    assertThat(foo.screen.lines()).noneMatch(l -> l.contains("hi all"));

    alice.type("/groups");
    alice.awaitLine("[Spartan] Group team (owner): alice,bob,charlie,eve");
    bob.type("/group leave team");
    bob.awaitLine("[Spartan] You left group team.");
    alice.awaitLine("[Spartan] bob left team");
    foo.type("/join team");
    foo.awaitLine("[Spartan] Group team is invite-only; ask an owner or admin to invite you.");
    alice.type("/invite team foo");
    alice.awaitLine("[Spartan] Invited foo to team.");
    foo.awaitLine("[Spartan] alice invites you to team. Type /join team to accept or /decline team.");
    foo.type("/group join team");
    foo.awaitLine("[Spartan] You joined group team.");
    alice.type("/admin team charlie");
    charlie.awaitLine("[Spartan] alice made you an admin of team");
    charlie.type("/kick team eve");
    eve.awaitLine("[Spartan] charlie removed you from team");
    alice.awaitLine("[Spartan] charlie removed eve from team");
    alice.type("/members team");
    alice.awaitLine("[Spartan] Members of team: alice (owner), charlie (admin), foo.");
    charlie.type("/g team second");
    foo.awaitLine("[team/charlie] second");
    alice.awaitLine("[team/charlie] second");
    alice.type("/history #team 5");
    alice.awaitLine("[Spartan] Last 2 message(s) with team:");
    alice.awaitLine("[team/alice] (14:02) hi all");
    alice.awaitLine("[team/charlie] (14:02) second");
  }

  @Test
  void errorsAreOneReadableLine() throws Exception {
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("zed");
    alice.awaitLine("[Spartan] No such user: zed.");
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitLine("[Spartan] You are now ready to chat with bob.");
    alice.awaitPrompt("[alice] > ");
    alice.type("/chat zed");
    alice.awaitLine("[Spartan] No such user: zed.");
    alice.type("/g nogroup hi");
    alice.awaitLine("[Spartan] No such group: nogroup.");
    alice.type("/frobnicate");
    alice.awaitLine("[Spartan] Unknown command /frobnicate. Type /help for the list.");
    alice.type("/history bob many");
    alice.awaitLine("[Spartan] Count must be a number from 1 to 500.");
    alice.type("/chat Not A Name");
    alice.awaitLine("[Spartan] Usage: /chat <user>");
    alice.type("/g team");
    alice.awaitLine("[Spartan] Usage: /g <group> <message>");
    alice.awaitPrompt("[alice] > ");
    assertThat(alice.screen.lines()).noneMatch(l -> l.contains("Exception") || l.contains("\tat "));
  }

  @Test
  void aRateLimitedSendSaysWhenToTryAgain() throws Exception {
    ChatService limited =
        new ForwardingChatService(chat.core) {
          @Override
          public Session login(String user, String password) {
            return new ForwardingSession(target.login(user, password)) {
              @Override
              public CompletableFuture<SendReceipt> sendAsync(
                  Recipient to, MessageBody body, String clientMsgId) {
                return CompletableFuture.failedFuture(ChatException.rateLimited(Duration.ofMillis(400)));
              }
            };
          }
        };
    var alice = chat.start("alice", () -> limited);
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    alice.type("too fast");
    alice.awaitLine("[Spartan] Rate limited — try again in 0.4 s.");
    alice.awaitPrompt("[alice] > ");
  }

  @Test
  void ctrlCDropsTheLineAndCtrlDLogsOutCleanly() throws Exception {
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    alice.screen.keys("never sent\u0003");
    alice.screen.awaitLine("[alice] >");
    alice.type("kept");
    Session bob = chat.login("bob");
    await()
        .atMost(Screen.TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(bob.fetchUndelivered(10))
                    .extracting(d -> d.message().text())
                    .containsExactly("kept"));
    int sessionsBefore = chat.core.sessionCount();
    assertThat(alice.finish()).isZero();
    assertThat(alice.screen.lines()).endsWith("[Spartan] Logged out.", "[Spartan] Bye.");
    assertThat(chat.core.sessionCount()).isEqualTo(sessionsBefore - 1);
  }

  @Test
  void inPasswordModeTheClientAsksForThePasswordWithoutShowingIt() throws Exception {
    chat.close();
    chat = new ChatFixture(AuthMode.PASSWORD);
    var alice = chat.start("alice");
    alice.awaitPrompt("[Spartan] Password for alice: ");
    alice.screen.typeSecret("alice-password");
    alice.awaitLine("[Spartan] User list: bar,baz,bob,charlie,eve,foo,qux");
    alice.awaitPrompt(CHOOSE);
    assertThat(alice.screen.dump()).doesNotContain("alice-password");

    var bob = chat.start("bob");
    bob.awaitPrompt("[Spartan] Password for bob: ");
    bob.screen.typeSecret("wrong-password");
    bob.awaitLine("[Spartan] Invalid user name or password.");
    bob.awaitLine("[Spartan] Menu:");
  }

  @Test
  void tabCompletesCommandsAndUserNames() throws Exception {
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    var completer = new NameCompleter(alice.repl.state);
    assertThat(complete(completer, "/ch")).contains("/chat");
    assertThat(complete(completer, "/chat ch")).contains("charlie", "bob").doesNotContain("alice");
    assertThat(complete(completer, "/group jo")).containsExactly("create", "join", "leave");
    alice.type("/group create team bob");
    alice.awaitLine("[Spartan] Group team created; invited bob.");
    assertThat(complete(completer, "/g t")).containsExactly("team");
    assertThat(complete(completer, "/invite t")).containsExactly("team");
    assertThat(complete(completer, "/invite team b")).contains("bob");
  }

  @Test
  void anUnreachableServerIsOneLineAndExitStatusOne() throws Exception {
    var alice =
        chat.start(
            "alice",
            () ->
                new ForwardingChatService(chat.core) {
                  @Override
                  public spartan.core.AuthMode authMode() {
                    throw ChatException.unavailable("Io exception");
                  }
                });
    alice.awaitLine("[Spartan] Cannot reach the Spartan server at port 3000. Is it running?");
    assertThat(alice.exit.get()).isEqualTo(1);
  }

  @Test
  void aDoubleSlashSendsTextThatStartsWithASlash() throws Exception {
    var alice = chat.start("alice");
    alice.awaitPrompt(CHOOSE);
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    alice.type("//shrug");
    Session bob = chat.login("bob");
    await()
        .atMost(Screen.TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(bob.fetchUndelivered(10))
                    .extracting(d -> d.message().text())
                    .containsExactly("/shrug"));
  }

  private static java.util.List<String> complete(NameCompleter c, String line) {
    var parsed = new org.jline.reader.impl.DefaultParser().parse(line, line.length());
    var out = new java.util.ArrayList<org.jline.reader.Candidate>();
    c.complete(null, parsed, out);
    return out.stream().map(org.jline.reader.Candidate::value).toList();
  }
}
