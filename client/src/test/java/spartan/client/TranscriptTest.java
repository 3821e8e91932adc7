package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The handshake a person sees, line for line, with two REPLs on one in-process server. */
class TranscriptTest {
  private final ChatFixture chat = new ChatFixture();

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  @Test
  void aliceAsksBobAcceptsAndTheyChat() throws Exception {
    Transcripts.aliceAndBob(chat, chat::inProcess, 3000);
  }

  @Test
  void answeringWithAnotherUserStartsThatChatAndTellsTheRequesterNo() throws Exception {
    var alice = chat.start("alice");
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    alice.type("bob");
    alice.awaitLine("[Spartan] You are now ready to chat with bob.");

    var bob = chat.start("bob");
    bob.awaitPrompt(
        "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different user: ");
    bob.type("charlie");
    bob.awaitLine("[Spartan] You are now ready to chat with charlie.");
    alice.awaitLine("[Spartan] bob declined your chat request.");

    var charlie = chat.start("charlie");
    charlie.awaitPrompt(
        "[Spartan] bob is requesting to chat with you. Enter 'yes' to accept or different user: ");
    charlie.type("yes");
    charlie.awaitLine("[Spartan] You are now ready to chat with bob.");
    bob.awaitLine("[Spartan] charlie accepted your chat request.");
    bob.awaitPrompt("[bob] > ");
    bob.type("hi charlie");
    charlie.awaitLine("[bob] hi charlie");
  }

  @Test
  void aRequestArrivingWhileChoosingReplacesThePrompt() throws Exception {
    var bob = chat.start("bob");
    bob.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    chat.login("eve").requestChat("bob");
    bob.awaitPrompt(
        "[Spartan] eve is requesting to chat with you. Enter 'yes' to accept or different user: ");
    bob.type("yes");
    bob.awaitLine("[Spartan] You are now ready to chat with eve.");
  }

  @Test
  void aRequestDuringAChatIsShownAndCanBeAccepted() throws Exception {
    var bob = chat.start("bob");
    bob.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    bob.type("alice");
    bob.awaitLine("[Spartan] You are now ready to chat with alice.");
    bob.awaitPrompt("[bob] > ");
    var eve = chat.login("eve");
    eve.requestChat("bob");
    bob.awaitLine("[Spartan] eve is requesting to chat with you. Enter '/yes' to accept or '/no' to decline.");
    bob.type("/yes");
    bob.awaitLine("[Spartan] You are now ready to chat with eve.");
    bob.awaitPrompt("[bob] > ");
    bob.type("hello eve");
    await()
        .atMost(Screen.TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(eve.fetchUndelivered(10))
                    .extracting(d -> d.message().text())
                    .containsExactly("hello eve"));
  }

  /** The transcript, shared with the over-the-wire tests. */
  static final class Transcripts {
    private Transcripts() {}

    static void aliceAndBob(
        ChatFixture chat, java.util.function.Supplier<spartan.core.ChatService> connector, int port)
        throws Exception {
      var alice = chat.start("alice", connector, port);
      alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
      alice.type("bob");
      alice.awaitLine("[Spartan] You are now ready to chat with bob.");
      alice.awaitPrompt("[alice] > ");

      var bob = chat.start("bob", connector, port);
      bob.awaitPrompt(
          "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different user: ");
      bob.type("yes");
      bob.awaitLine("[Spartan] You are now ready to chat with alice.");
      alice.awaitLine("[Spartan] bob accepted your chat request.");
      alice.awaitPrompt("[alice] > ");
      alice.type("Hey Bob!");
      bob.awaitLine("[alice] Hey Bob!");
      bob.awaitPrompt("[bob] >");

      assertThat(alice.screen.lines())
          .containsExactly(
              "[Spartan] Connected to Spartan Server at port " + port + ".",
              "[Spartan] User list: bar,baz,bob,charlie,eve,foo,qux",
              "[Spartan] Enter a user whom you want to chat with: bob",
              "[Spartan] You are now ready to chat with bob.",
              "[Spartan] bob accepted your chat request.",
              "[alice] > Hey Bob!");
      assertThat(bob.screen.lines())
          .containsExactly(
              "[Spartan] Connected to Spartan Server at port " + port + ".",
              "[Spartan] User list: alice,bar,baz,charlie,eve,foo,qux",
              "[Spartan] alice is requesting to chat with you. Enter 'yes' to accept or different user: yes",
              "[Spartan] You are now ready to chat with alice.",
              "[alice] Hey Bob!");
      assertThat(bob.screen.current()).isEqualTo("[bob] >");
    }
  }
}
