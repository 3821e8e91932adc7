package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.Recipient;
import spartan.core.Session;

/** Every item of the numbered menu, as a person started without a user name walks through it. */
class MenuTest {
  private static final String CHOOSE = "[Spartan] Choose 0-10: ";

  private final ChatFixture chat = new ChatFixture();

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  @Test
  void walksEveryMenuItem() throws Exception {
    var dave = chat.start(null);
    dave.awaitLine("[Spartan] Connected to Spartan Server at port 3000.");
    dave.awaitLine("[Spartan] Menu:");
    dave.awaitLine("  10. Chat");
    dave.awaitPrompt(CHOOSE);

    dave.type("eleven");
    dave.awaitLine("[Spartan] Please enter a number from 0 to 10.");
    dave.type("3");
    dave.awaitLine("[Spartan] You are not logged in. Use /menu to log in.");

    dave.type("1");
    dave.awaitPrompt("[Spartan] New user name: ");
    dave.type("dave");
    dave.awaitLine("[Spartan] Account dave created. Choose 2 to log in.");
    dave.type("1");
    dave.type("dave");
    dave.awaitLine("[Spartan] User already exists: dave.");

    dave.type("2");
    dave.awaitPrompt("[Spartan] User name: ");
    dave.type("dave");
    dave.awaitLine("[Spartan] User list: alice,bar,baz,bob,charlie,eve,foo,qux");
    dave.awaitLine("[Spartan] Logged in as dave.");

    Session bob = chat.login("bob");
    dave.type("3");
    dave.awaitPrompt("[Spartan] To (user, or #group): ");
    dave.type("bob");
    dave.awaitPrompt("[Spartan] Message: ");
    dave.type("hi bob");
    dave.awaitLine("[Spartan] Sent.");
    assertThat(bob.fetchUndelivered(10)).extracting(d -> d.message().text()).containsExactly("hi bob");

    bob.send(Recipient.user("dave"), "hello dave");
    dave.awaitLine("[bob] hello dave");
    dave.type("4");
    dave.awaitLine("[Spartan] No undelivered messages.");

    dave.type("5");
    dave.awaitPrompt("[Spartan] Pattern (* and ? are wildcards; empty for all): ");
    dave.type("b*");
    dave.awaitLine("[Spartan] Accounts: bar,baz,bob");
    dave.type("5");
    dave.type("d?ve");
    dave.awaitLine("[Spartan] Accounts: dave (online)");

    dave.type("6");
    dave.awaitLine("[Spartan] Groups:");
    dave.awaitPrompt("[Spartan] Choose 0-10: ");
    dave.type("1");
    dave.awaitPrompt("[Spartan] Group name: ");
    dave.type("crew");
    dave.awaitPrompt("[Spartan] Invite (user names separated by spaces): ");
    dave.type("alice bob");
    dave.awaitLine("[Spartan] Group crew created; invited alice,bob.");
    chat.login("alice").joinGroup("crew");
    bob.joinGroup("crew");
    dave.awaitLine("[Spartan] bob joined crew (invited by dave)");
    dave.type("6");
    dave.type("4");
    dave.awaitLine("[Spartan] Group crew (owner): alice,bob,dave");
    dave.type("6");
    dave.type("5");
    dave.awaitPrompt("[Spartan] Group: ");
    dave.type("crew");
    dave.type("hi crew");
    dave.awaitLine("[Spartan] Sent.");
    await()
        .atMost(Screen.TIMEOUT)
        .until(() -> bob.fetchUndelivered(10).stream().anyMatch(d -> "hi crew".equals(d.message().text())));
    dave.type("6");
    dave.type("10");
    dave.awaitPrompt("[Spartan] Group: ");
    dave.type("crew");
    dave.awaitLine("[Spartan] Members of crew: alice, bob, dave (owner).");
    dave.type("6");
    dave.type("11");
    dave.awaitLine("[Spartan] Please enter a number from 0 to 10.");

    dave.type("7");
    dave.awaitPrompt("[Spartan] History with (user, or #group): ");
    dave.type("bob");
    dave.awaitLine("[Spartan] Last 2 message(s) with bob:");
    dave.awaitLine("[dave] (14:02) hi bob");
    dave.awaitLine("[bob] (14:02) hello dave");

    dave.type("10");
    dave.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    dave.type("/menu");
    dave.awaitPrompt(CHOOSE);

    dave.type("8");
    dave.awaitPrompt("[Spartan] Delete account dave and all its messages? Type 'yes' to confirm: ");
    dave.type("no");
    dave.awaitLine("[Spartan] Not deleted.");
    dave.type("8");
    dave.type("yes");
    dave.awaitLine("[Spartan] Account dave deleted.");
    dave.type("2");
    dave.type("dave");
    dave.awaitLine("[Spartan] No such user: dave.");

    dave.type("2");
    dave.type("alice");
    dave.awaitLine("[Spartan] Logged in as alice.");
    dave.awaitLine("[crew/dave] (earlier, 14:02) hi crew");
    dave.type("9");
    dave.awaitLine("[Spartan] Logged out.");
    dave.type("0");
    dave.awaitLine("[Spartan] Bye.");
    assertThat(dave.exit.get()).isZero();
    assertThat(dave.screen.lines()).noneMatch(l -> l.contains("Exception"));
  }

  @Test
  void endOfInputAtAQuestionQuitsCleanly() throws Exception {
    var eve = chat.start(null);
    eve.type("2");
    eve.awaitPrompt("[Spartan] User name: ");
    eve.screen.endInput();
    eve.awaitLine("[Spartan] Bye.");
    assertThat(eve.exit.get()).isZero();
    assertThat(eve.screen.lines()).noneMatch(l -> l.contains("Something went wrong"));
  }
}
