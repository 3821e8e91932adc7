package spartan.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;

/**
 * A target reached through the chat API — the same client connectors the terminal client uses
 * ({@code TransportProvider.connect}), or the core itself for the in-process binding. Each peer
 * is its own connection, as each terminal is, and acks what it receives the way a client does.
 */
final class ChatTarget implements Target {
  /** A peer acks once this many messages have arrived since its last ack. */
  private static final int ACK_EVERY = 64;

  private final String name;
  private final Function<Side, ChatService> connector;
  private final int nodes;
  private final Supplier<RedisInfo> redis; // null without a Redis store
  private final ServerStats.Source statsSource; // null when there are none
  private final boolean statsIncludeGenerator;
  private final AutoCloseable server; // what closing the target stops, nullable
  private final ChatService admin;
  private final ConcurrentLinkedQueue<ChatPeer> peers = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  // Acks are blocking calls; transport callback threads must not make them.
  private final ExecutorService ackExecutor =
      Executors.newFixedThreadPool(2, BenchThreads.daemon("bench-ack"));

  /**
   * @param connector opens one client connection per call
   * @param statsSource where {@link #stats} reads server figures (an in-process sampler or the
   *     relay of a remote {@code bench serve}); null when there are none
   * @param server closed with this target (an in-process server), nullable
   */
  ChatTarget(
      String name,
      Supplier<ChatService> connector,
      ServerStats.Source statsSource,
      boolean statsIncludeGenerator,
      AutoCloseable server) {
    this(name, side -> connector.get(), 1, null, statsSource, statsIncludeGenerator, server);
  }

  /**
   * @param connector opens one client connection per call, to the node for that side
   * @param nodes how many server nodes there are
   * @param redis reads the shared Redis's counters; null without a Redis store
   */
  ChatTarget(
      String name,
      Function<Side, ChatService> connector,
      int nodes,
      Supplier<RedisInfo> redis,
      ServerStats.Source statsSource,
      boolean statsIncludeGenerator,
      AutoCloseable server) {
    this.name = name;
    this.connector = connector;
    this.nodes = nodes;
    this.redis = redis;
    this.statsSource = statsSource;
    this.statsIncludeGenerator = statsIncludeGenerator;
    this.server = server;
    this.admin = connector.apply(Side.SENDER);
  }

  @Override
  public int nodes() {
    return nodes;
  }

  @Override
  public RedisInfo redisInfo() {
    return redis == null ? null : redis.get();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void createUsers(List<String> users) {
    for (String u : users) {
      try {
        admin.createAccount(u, null);
      } catch (ChatException e) {
        if (e.code() != ErrorCode.ALREADY_EXISTS) {
          throw e;
        }
      }
    }
  }

  @Override
  public Peer login(String user, MessageHandler handler) {
    return login(user, handler, Side.SENDER);
  }

  @Override
  public Peer login(String user, MessageHandler handler, Side side) {
    ChatService svc = connector.apply(side);
    try {
      Session s = svc.login(user, null);
      ChatPeer p = new ChatPeer(svc, s, handler);
      s.events(0).subscribe(p);
      p.subscribed.get(30, TimeUnit.SECONDS);
      peers.add(p);
      return p;
    } catch (Exception e) {
      svc.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  @Override
  public ServerStats stats(boolean gc) {
    return statsSource == null ? null : statsSource.sample(gc);
  }

  @Override
  public boolean statsIncludeGenerator() {
    return statsIncludeGenerator;
  }

  /** Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (ChatPeer p; (p = peers.poll()) != null; ) {
      p.close();
    }
    admin.close();
    ackExecutor.shutdownNow();
    if (server != null) {
      try {
        server.close();
      } catch (Exception e) {
        throw new IllegalStateException("could not stop the " + name + " server", e);
      }
    }
  }

  private final class ChatPeer implements Peer, Flow.Subscriber<ChatEvent> {
    private final ChatService service;
    private final Session session;
    private final MessageHandler handler;
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong lastAcked = new AtomicLong();
    private final AtomicBoolean ackScheduled = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    ChatPeer(ChatService service, Session session, MessageHandler handler) {
      this.service = service;
      this.session = session;
      this.handler = handler;
    }

    @Override
    public String user() {
      return session.user();
    }

    @Override
    public CompletableFuture<?> send(String to, String text) {
      Recipient r = to.startsWith("#") ? Recipient.group(to.substring(1)) : Recipient.user(to);
      return session.sendAsync(r, MessageBody.text(text), null);
    }

    @Override
    public void createGroup(String group, List<String> members) {
      session.createGroup(group, members);
    }

    @Override
    public void joinGroup(String group) {
      session.joinGroup(group);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
      subscribed.complete(null);
    }

    @Override
    public void onNext(ChatEvent event) {
      if (event instanceof ChatEvent.MessageReceived m) {
        long now = System.nanoTime();
        handler.onMessage(m.message().from(), m.message().text(), now);
        received.set(m.seq());
        if (m.seq() - lastAcked.get() >= ACK_EVERY && ackScheduled.compareAndSet(false, true)) {
          try {
            ackExecutor.execute(this::ack);
          } catch (RuntimeException rejected) {
            ackScheduled.set(false); // closing
          }
        }
      }
    }

    private void ack() {
      ackScheduled.set(false);
      long upTo = received.get();
      if (closed.get() || upTo <= lastAcked.get()) {
        return;
      }
      try {
        session.ack(upTo);
        lastAcked.set(upTo);
      } catch (RuntimeException e) {
        // Logged out meanwhile; the next login redelivers, which no scenario counts on.
      }
    }

    @Override
    public void onError(Throwable t) {
      subscribed.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      subscribed.complete(null);
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        try {
          session.logout();
        } catch (RuntimeException e) {
          // already gone
        }
        service.close();
      }
    }
  }

  /** Closing the in-process binding's client must not close the core it shares. */
  static Supplier<ChatService> inProcess(ChatService core) {
    return () -> new spartan.core.service.ForwardingChatService(core);
  }
}
