package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.Recipient;
import spartan.core.Session;

/** The server goes away and comes back: the client says so, reconnects, loses nothing, shows nothing twice. */
class ReconnectTest {
  private final ChatFixture chat = new ChatFixture();
  private final Outage outage = new Outage(chat.core);

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  @Test
  void resumesTheSessionAndShowsWhatArrivedMeanwhileOnce() throws Exception {
    survivesAnOutage(false);
  }

  @Test
  void logsInAfreshWhenTheSessionIsGoneAndStillLosesNothing() throws Exception {
    survivesAnOutage(true);
  }

  private void survivesAnOutage(boolean sessionsLost) throws Exception {
    var alice = chat.start("alice", outage::connect);
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    Session bob = chat.login("bob");
    bob.send(Recipient.user("alice"), "one");
    alice.awaitLine("[bob] one");

    outage.goDown();
    alice.awaitLine("[Spartan] Lost connection to the server; reconnecting…");
    bob.send(Recipient.user("alice"), "two");
    bob.send(Recipient.user("alice"), "three");
    alice.type("are you there?");
    alice.awaitLine("[Spartan] Not done: the server is unreachable; reconnecting…");

    if (sessionsLost) {
      outage.comeBackWithoutSessions();
    } else {
      outage.comeBack();
    }
    alice.awaitLine("[Spartan] Reconnected.");
    alice.awaitLine("[bob] two");
    alice.awaitLine("[bob] three");
    bob.send(Recipient.user("alice"), "four");
    alice.awaitLine("[bob] four");
    alice.type("back");
    alice.awaitPrompt("[alice] > ");

    for (String m : new String[] {"one", "two", "three", "four"}) {
      assertThat(alice.screen.lines()).filteredOn(l -> l.equals("[bob] " + m)).hasSize(1);
    }
  }
}
