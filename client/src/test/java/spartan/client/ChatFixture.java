package spartan.client;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Session;
import spartan.core.auth.Argon2idHasher;
import spartan.core.service.ForwardingChatService;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.MutableClock;

/**
 * An in-process server seeded with the demo users, and REPLs driven through {@link Screen}s on
 * their own threads; on request also a transport server on loopback in front of it. Closing ends
 * every REPL (end of input, like Ctrl-D) and the servers.
 */
final class ChatFixture implements AutoCloseable {
  static final List<String> DEMO_USERS =
      List.of("alice", "bob", "charlie", "eve", "foo", "bar", "baz", "qux");

  final MutableClock clock = MutableClock.startingAt("2026-01-01T14:02:00Z");
  final ExecutorService executor = Executors.newCachedThreadPool(daemon("core"));
  final ChatStore store;
  final LocalChatService core;
  /** Where REPLs keep key files by default; null runs them with end-to-end encryption off. */
  private final Path keyDir;
  private final List<Client> clients = new ArrayList<>();
  /** Further cores on the same store ({@link #anotherNode}). */
  private final List<LocalChatService> nodes = new ArrayList<>();
  /** The transport servers of {@link #serve}, and the executor their calls run on. */
  private final List<TransportServer> servers = new ArrayList<>();
  private ExecutorService serverCalls;
  private final AuthMode mode;

  ChatFixture() {
    this(AuthMode.OPEN);
  }

  ChatFixture(AuthMode mode) {
    this(mode, new MemoryChatStore(), null);
  }

  /**
   * @param store the server's store (closed with the fixture)
   * @param keyDir the clients' key directory (a @TempDir), or null for encryption off
   */
  ChatFixture(AuthMode mode, ChatStore store, Path keyDir) {
    this.store = store;
    this.keyDir = keyDir;
    this.mode = mode;
    core = node();
    for (String u : DEMO_USERS) {
      core.createAccount(u, mode == AuthMode.PASSWORD ? u + "-password" : null);
    }
  }

  private LocalChatService node() {
    return LocalChatService.builder()
        .store(store)
        .clock(clock)
        .deliveryExecutor(executor)
        .authMode(mode)
        .passwordHasher(Argon2idHasher.forTests())
        .build();
  }

  /**
   * Another server node: a second core on the same store, as two Spartan nodes share one store.
   * Sessions (and their tokens) are each core's own; accounts, inboxes and history are shared.
   */
  LocalChatService anotherNode() {
    LocalChatService n = node();
    nodes.add(n);
    return n;
  }

  /** A session of {@code user} straight on {@code node}. */
  Session login(ChatService node, String user) {
    return node.login(user, mode == AuthMode.PASSWORD ? user + "-password" : null);
  }

  /** A client of the in-process core that, like a remote connector, does not close the core. */
  ChatService inProcess() {
    return new ForwardingChatService(core);
  }

  /** A REPL started with {@code ./spartan client <user>} (user may be null for the menu). */
  Client start(String user) throws Exception {
    return start(user, this::inProcess);
  }

  Client start(String user, Supplier<ChatService> connector) throws Exception {
    return start(user, connector, 3000);
  }

  Client start(String user, Supplier<ChatService> connector, int port) throws Exception {
    return start(user, connector, port, keyDir);
  }

  /** A REPL whose key files are in {@code keys} (null: encryption off). */
  Client start(String user, Supplier<ChatService> connector, int port, Path keys)
      throws Exception {
    return start(user, Dialer.fixed(connector, port), keys);
  }

  /** A REPL that connects, and fails over, to the servers {@code dialer} knows. */
  Client start(String user, Dialer dialer) throws Exception {
    return start(user, dialer, keyDir);
  }

  private Client start(String user, Dialer dialer, Path keys) throws Exception {
    Client c =
        new Client(new Screen(), dialer, keys == null ? null : Encryption.KeyFiles.in(keys));
    c.exit = CompletableFuture.supplyAsync(() -> c.repl.run(user), Executors.newSingleThreadExecutor(daemon("repl-" + user)));
    clients.add(c);
    return c;
  }

  /** A session of {@code user} straight on the core, for the other side of a test. */
  Session login(String user) {
    return core.login(user, core.authMode() == AuthMode.PASSWORD ? user + "-password" : null);
  }

  static final class Client implements AutoCloseable {
    final Screen screen;
    final Repl repl;
    final ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(daemon("client-scheduler"));
    CompletableFuture<Integer> exit;

    Client(Screen screen, Dialer dialer, Encryption.KeyFiles keys) {
      this.screen = screen;
      this.repl = new Repl(screen.terminal, dialer, scheduler, ZoneOffset.UTC, keys);
    }

    /** Types a line once a prompt shows, as a person would. */
    void type(String line) {
      screen.awaitAnyPrompt();
      screen.type(line);
    }

    void awaitLine(String line) {
      screen.awaitLine(line);
    }

    void awaitPrompt(String prompt) {
      screen.awaitPrompt(prompt);
    }

    /** Ends input (Ctrl-D) and waits for the REPL to finish; returns its exit status. */
    int finish() throws Exception {
      screen.endInput();
      return exit.get(Screen.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws Exception {
      try {
        if (!exit.isDone()) {
          finish();
        }
      } finally {
        scheduler.shutdownNow();
        screen.close();
      }
    }
  }

  /**
   * Serves the core over {@code transport}, found by name as the server finds it, on loopback
   * {@code port} (0 for a free one). The fixture closes the servers it started, after the REPLs
   * and the cores.
   */
  TransportServer serve(String transport, int port) throws IOException {
    return serve(core, transport, port);
  }

  /** Serves {@code node} (a core, or a wrapper of one) as {@link #serve(String, int)} does. */
  synchronized TransportServer serve(ChatService node, String transport, int port)
      throws IOException {
    if (serverCalls == null) {
      serverCalls = Executors.newCachedThreadPool(daemon("server-calls"));
    }
    TransportServer server =
        TransportProvider.named(transport)
            .serve(node, TransportOptions.of("127.0.0.1", port, serverCalls));
    servers.add(server);
    return server;
  }

  /** Connectors over {@code transport} to loopback {@code port}, as the client finds them. */
  static Supplier<ChatService> connector(String transport, int port) {
    TransportProvider provider = TransportProvider.named(transport);
    return () -> provider.connect(TransportOptions.of("127.0.0.1", port, null));
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (Client c : clients) {
      try {
        c.close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    try {
      for (LocalChatService n : nodes) {
        n.close();
      }
      core.close();
      store.close();
      executor.shutdownNow();
    } finally {
      for (TransportServer server : servers) {
        server.close();
      }
      if (serverCalls != null) {
        serverCalls.shutdownNow();
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
