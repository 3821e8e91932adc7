package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.testing.EventRecorder;

/**
 * SIGTERM to a real server process while sends are in flight on both transports: every send the
 * server acknowledged is in the store after a restart, and each live event stream ends with a
 * reason the client can show.
 */
class GracefulShutdownTest {
  private static final int SENDS = 300;

  @TempDir Path dir;

  private List<String> args() throws Exception {
    Path yaml = dir.resolve("config.yaml");
    Files.writeString(
        yaml,
        """
        transports: [grpc, socket]
        grpc: {port: 0}
        socket: {port: 0}
        demoUsers: [alice, bob]
        store: {type: embedded, dataDir: data}
        rateLimit: {perSecond: 100000, burst: 100000}
        """);
    return List.of("--config", yaml.toString());
  }

  private static ChatService connect(String transport, Map<String, Integer> ports) {
    return TransportProvider.named(transport)
        .connect(TransportOptions.of("127.0.0.1", ports.get(transport), null));
  }

  @Test
  void sigtermAnswersInFlightSendsKeepsThemAndEndsStreamsWithAReason() throws Exception {
    List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    EventRecorder overSocket = EventRecorder.unbounded();
    EventRecorder overGrpc = EventRecorder.unbounded();
    int exit;
    try (ServerProcess server = ServerProcess.start(args());
        ChatService socket = connect("socket", server.ports());
        ChatService grpc = connect("grpc", server.ports())) {
      Session aliceS = socket.login("alice", null);
      Session aliceG = grpc.login("alice", null);
      socket.login("bob", null).events(0).subscribe(overSocket);
      grpc.login("bob", null).events(0).subscribe(overGrpc);
      overSocket.awaitSubscribed();
      overGrpc.awaitSubscribed();
      aliceS.send(Recipient.user("bob"), "before");
      overSocket.nextMessage();
      overGrpc.nextMessage();

      for (int i = 0; i < SENDS; i++) {
        String text = "in flight " + i;
        texts.add(text);
        Session via = i % 2 == 0 ? aliceS : aliceG;
        sends.add(via.sendAsync(Recipient.user("bob"), MessageBody.text(text), "c" + i));
      }
      sends.get(0).get(30, TimeUnit.SECONDS); // the stream of sends is under way: stop now
      exit = server.terminate();

      for (CompletableFuture<SendReceipt> f : sends) {
        f.handle((ok, e) -> null).get(30, TimeUnit.SECONDS); // each one answered, one way or the other
      }
      for (EventRecorder events : List.of(overSocket, overGrpc)) {
        Throwable end = events.done.handle((ok, e) -> e).get(30, TimeUnit.SECONDS);
        assertThat(end)
            .as("the stream ends with a reason")
            .isInstanceOfSatisfying(ChatException.class, e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.getMessage()).contains("shutting down");
            });
      }
      assertThat(exit).as("stopped by SIGTERM:\n" + server.output()).isEqualTo(143);
      assertThat(server.output()).contains("Spartan server stopped.");
    }

    List<String> acknowledged = new ArrayList<>(List.of("before"));
    for (int i = 0; i < SENDS; i++) {
      if (!sends.get(i).isCompletedExceptionally()) {
        acknowledged.add(texts.get(i));
      }
    }
    assertThat(acknowledged).hasSizeGreaterThan(1);
    System.out.printf("%d of %d in-flight sends acknowledged before the server stopped%n",
        acknowledged.size() - 1, SENDS);

    try (ServerProcess again = ServerProcess.start(args());
        ChatService socket = connect("socket", again.ports())) {
      Session bob = socket.login("bob", null);
      List<String> stored = new ArrayList<>();
      for (Message m : bob.history(Recipient.user("alice"), 0, 500)) {
        stored.add(m.text());
      }
      assertThat(stored).containsAll(acknowledged);
      again.terminate();
    }
  }
}
