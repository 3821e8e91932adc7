package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import spartan.core.ChatEvent;
import spartan.core.ChatService;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.EventRecorder;

/**
 * What the gRPC tests stand up around a server, and tear down after each test: a blocking and a
 * delivery executor and a core on a memory store. A test registers it as an instance field with
 * {@code @RegisterExtension}; after the test's own {@code @AfterEach} it closes what was handed
 * to it (the last handed first), then the core, the store and the executors.
 */
final class ServerFixture implements AfterEachCallback {
  final ExecutorService blocking = Executors.newCachedThreadPool();
  final ExecutorService delivery = Executors.newCachedThreadPool();
  final MemoryChatStore store = new MemoryChatStore();
  final LocalChatService core =
      LocalChatService.builder().store(store).deliveryExecutor(delivery).build();
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

  /** Options for a plaintext server on a free loopback port, its calls run on {@link #blocking}. */
  TransportOptions loopback() {
    return TransportOptions.of("127.0.0.1", 0, blocking);
  }

  void createAccounts(String... users) {
    for (String user : users) {
      core.createAccount(user, null);
    }
  }

  /** Starts a Netty server for {@code service}, closed after the test. */
  GrpcServer start(ChatService service, TransportOptions options) throws IOException {
    return closeAfter(GrpcServer.start(service, options));
  }

  /** An in-process server for {@link #core} under {@code name}, closed after the test. */
  GrpcServer inProcess(String name) throws IOException {
    return closeAfter(
        GrpcServer.inProcess(core, name, blocking, TransportOptions.DEFAULT_MAX_FRAME_BYTES));
  }

  /** A client connected with {@code options}, closed after the test. */
  GrpcClient connect(TransportOptions options) {
    return closeAfter(GrpcClient.connect(options));
  }

  /** Closes {@code resource} after the test, before anything handed in earlier. */
  <T extends AutoCloseable> T closeAfter(T resource) {
    toClose.push(resource);
    return resource;
  }

  /** Shuts {@code channel} down after the test, before anything handed in earlier. */
  ManagedChannel shutDownAfter(ManagedChannel channel) {
    toClose.push(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  /** Cancels {@code call} after the test (if it is still open), before anything handed in earlier. */
  <C extends ClientCall<?, ?>> C cancelAfter(C call) {
    toClose.push(() -> call.cancel("test over", null));
    return call;
  }

  /**
   * An honest exchange over {@code client}: {@code from} sends {@code text} to {@code to}, whose
   * event stream receives and acks it; then both log out.
   */
  static void roundTrip(ChatService client, String from, String to, String text) {
    Session sender = client.login(from, null);
    Session receiver = client.login(to, null);
    EventRecorder inbox = EventRecorder.unbounded();
    receiver.events(0).subscribe(inbox);
    inbox.awaitSubscribed();
    sender.send(Recipient.user(to), text);
    ChatEvent.MessageReceived got = inbox.nextMessage();
    assertThat(got.message().text()).isEqualTo(text);
    receiver.ack(got.seq());
    receiver.logout();
    sender.logout();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    while (!toClose.isEmpty()) {
      toClose.pop().close();
    }
    core.close();
    store.close();
    blocking.shutdownNow();
    delivery.shutdownNow();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
    delivery.awaitTermination(5, TimeUnit.SECONDS);
  }
}
