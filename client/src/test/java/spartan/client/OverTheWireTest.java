package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.ChatService;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.spi.TransportServer;

/**
 * The REPL over the real wire: a transport server on a loopback port in front of the core, and
 * the client finding its connector by name at run time, exactly as {@code ./spartan client} does.
 */
class OverTheWireTest {
  private final ChatFixture chat = new ChatFixture();
  private TransportServer server;

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  private Supplier<ChatService> serve(String transport) throws Exception {
    server = chat.serve(transport, 0);
    return ChatFixture.connector(transport, server.port());
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void theTranscriptReadsTheSameOverTheWire(String transport) throws Exception {
    Supplier<ChatService> connector = serve(transport);
    TranscriptTest.Transcripts.aliceAndBob(chat, connector, server.port());
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "socket"})
  void aServerRestartOnTheSamePortLosesAndRepeatsNothing(String transport) throws Exception {
    Supplier<ChatService> connector = serve(transport);
    int port = server.port();
    var alice = chat.start("alice", connector, port);
    alice.awaitPrompt("[Spartan] Enter a user whom you want to chat with: ");
    alice.type("bob");
    alice.awaitPrompt("[alice] > ");
    Session bob = chat.login("bob");
    bob.send(Recipient.user("alice"), "one");
    alice.awaitLine("[bob] one");

    server.close();
    alice.awaitLine("[Spartan] Lost connection to the server; reconnecting…");
    bob.send(Recipient.user("alice"), "two");
    bob.send(Recipient.user("alice"), "three");
    server = chat.serve(transport, port);

    alice.awaitLine("[Spartan] Reconnected.");
    alice.awaitLine("[bob] two");
    alice.awaitLine("[bob] three");
    bob.send(Recipient.user("alice"), "four");
    alice.awaitLine("[bob] four");
    alice.type("got them");
    var inbox = new java.util.ArrayList<String>();
    org.awaitility.Awaitility.await()
        .atMost(Screen.TIMEOUT)
        .until(
            () -> {
              bob.fetchUndelivered(10).forEach(d -> inbox.add(d.message().text()));
              return inbox.contains("got them");
            });
    for (String m : new String[] {"one", "two", "three", "four"}) {
      assertThat(alice.screen.lines()).filteredOn(l -> l.equals("[bob] " + m)).hasSize(1);
    }
  }
}
