package spartan.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Session;

/**
 * The client's hold on the server: the current {@link ChatService} and {@link Session}, the event
 * subscription, de-duplication, acks, and reconnecting with backoff when the server goes away.
 *
 * <p>Each message is handed to the {@link Listener} once (by inbox sequence and by message id,
 * since delivery is at-least-once) and acked after the listener returned, i.e. after it was shown.
 * Acks are coalesced and sent from the scheduler thread, never from a transport callback.
 * Thread-safe: the REPL thread calls in while transport threads deliver events.
 */
final class Connection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final int SEEN_IDS = 10_000;
  private static final int BACKLOG_PAGE = 1000;

  /** What the connection reports; called on transport or scheduler threads. */
  interface Listener {
    /** A message to show once; {@code earlier} if it waited while the user was offline. */
    void onMessage(Delivery delivery, boolean earlier);

    void onChatRequested(String from);

    void onChatAnswered(String from, boolean accepted);

    /** An invitation, or a change in the membership of one of the user's groups. */
    default void onGroupEvent(ChatEvent.GroupEvent event) {}

    void onConnectionLost();

    void onReconnected();

    /** The session cannot be restored (account deleted, credentials changed). */
    void onSessionEnded(String why);
  }

  private final Supplier<ChatService> connector;
  private final ScheduledExecutorService scheduler;
  private final Listener listener;

  private volatile ChatService service;
  private volatile Session session;
  private volatile String user;
  private volatile String password;

  private final Object deliveryLock = new Object();
  /** Highest inbox sequence shown; the cursor for re-subscribing. Guarded by deliveryLock. */
  private long shownSeq;
  /** Inbox entries up to this sequence were waiting at login. Guarded by deliveryLock. */
  private long backlogSeq;
  /**
   * When more waited than one fetch returns, messages sent before this instant (the client's
   * clock at login) count as waiting too. Null otherwise. Guarded by deliveryLock.
   */
  private Instant backlogBefore;
  /** Recently shown message ids, for at-least-once de-duplication. Guarded by deliveryLock. */
  private final Map<Long, Boolean> seenIds =
      new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
          return size() > SEEN_IDS;
        }
      };

  private final AtomicLong generation = new AtomicLong();
  private final AtomicLong toAck = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicBoolean ackScheduled = new AtomicBoolean();
  private final AtomicBoolean reconnecting = new AtomicBoolean();

  private final Clock clock;

  Connection(
      Supplier<ChatService> connector,
      ScheduledExecutorService scheduler,
      Clock clock,
      Listener listener) {
    this.connector = connector;
    this.clock = clock;
    this.scheduler = scheduler;
    this.listener = listener;
  }

  /** The service, connecting on first use. */
  synchronized ChatService service() {
    if (service == null) {
      service = connector.get();
    }
    return service;
  }

  boolean loggedIn() {
    return session != null;
  }

  String user() {
    return user;
  }

  /**
   * The live session.
   *
   * @throws ChatException {@code UNAUTHENTICATED} when not logged in
   */
  Session session() {
    Session s = session;
    if (s == null) {
      throw ChatException.unauthenticated("You are not logged in.");
    }
    return s;
  }

  /** Logs in and notes the waiting backlog; {@link #startEvents} then subscribes. */
  void login(String name, String pass) {
    Session s = service().login(name, pass);
    List<Delivery> waiting = s.fetchUndelivered(BACKLOG_PAGE);
    synchronized (deliveryLock) {
      if (!s.user().equals(user)) {
        seenIds.clear();
      }
      shownSeq = 0;
      backlogSeq = waiting.isEmpty() ? 0 : waiting.get(waiting.size() - 1).seq();
      backlogBefore = waiting.size() == BACKLOG_PAGE ? clock.instant() : null;
    }
    toAck.set(0);
    acked.set(0);
    this.user = s.user();
    this.password = pass;
    this.session = s;
  }

  /** Starts the event stream of the session just logged in to. */
  void startEvents() {
    subscribe(session(), 0);
  }

  /** Ends the session (best effort: the server may be gone). */
  void logout() {
    Session s = session;
    session = null;
    generation.incrementAndGet();
    reconnecting.set(false);
    if (s != null) {
      flushAck(s);
      try {
        s.logout();
      } catch (RuntimeException e) {
        log.info("logout failed (session dropped anyway): {}", e.toString());
      }
    }
  }

  /** Forgets the session without telling the server (it was deleted there). */
  void forget() {
    session = null;
    generation.incrementAndGet();
    reconnecting.set(false);
  }

  /** Releases the service. */
  synchronized void close() {
    logout();
    if (service != null) {
      try {
        service.close();
      } catch (RuntimeException e) {
        log.debug("closing the service failed", e);
      }
      service = null;
    }
  }

  /**
   * Reports a failed call: if the server is unreachable, starts reconnecting. Returns whether it
   * was a lost connection.
   */
  boolean failed(ChatException e) {
    if (e.code() == ErrorCode.UNAVAILABLE && loggedIn()) {
      connectionLost(e);
      return true;
    }
    return false;
  }

  boolean reconnecting() {
    return reconnecting.get();
  }

  /**
   * Shows (through the listener) and acks entries the server still holds as undelivered, e.g.
   * after the person asked for them explicitly. Returns how many were new.
   */
  int deliverUndelivered() {
    Session s = session();
    int shown = 0;
    for (Delivery d : s.fetchUndelivered(BACKLOG_PAGE)) {
      if (show(d, true)) {
        shown++;
      }
    }
    flushAck(s);
    return shown;
  }

  // ---- events -----------------------------------------------------------------------------------

  private void subscribe(Session s, long cursor) {
    long gen = generation.incrementAndGet();
    s.events(cursor).subscribe(new Subscriber(gen));
  }

  private final class Subscriber implements Flow.Subscriber<ChatEvent> {
    private final long gen;

    Subscriber(long gen) {
      this.gen = gen;
    }

    private boolean current() {
      return generation.get() == gen && session != null;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(ChatEvent event) {
      if (!current()) {
        return;
      }
      try {
        if (event instanceof ChatEvent.MessageReceived m) {
          boolean earlier;
          synchronized (deliveryLock) {
            earlier =
                m.seq() <= backlogSeq
                    || (backlogBefore != null && m.message().sentAt().isBefore(backlogBefore));
          }
          show(m.delivery(), earlier);
        } else if (event instanceof ChatEvent.ChatRequested r) {
          listener.onChatRequested(r.from());
        } else if (event instanceof ChatEvent.ChatAnswered a) {
          listener.onChatAnswered(a.from(), a.accepted());
        } else if (event instanceof ChatEvent.GroupEvent g) {
          listener.onGroupEvent(g);
        }
      } catch (RuntimeException e) {
        log.warn("handling {} failed", event.getClass().getSimpleName(), e);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (current()) {
        log.info("event stream failed: {}", t.toString());
        connectionLost(t);
      }
    }

    @Override
    public void onComplete() {
      if (current()) {
        log.info("event stream ended by the server");
        connectionLost(null);
      }
    }
  }

  /** Hands a delivery to the listener unless already shown; returns whether it was shown. */
  private boolean show(Delivery d, boolean earlier) {
    synchronized (deliveryLock) {
      if (d.seq() <= shownSeq || seenIds.containsKey(d.message().id())) {
        shownSeq = Math.max(shownSeq, d.seq());
        return false;
      }
      listener.onMessage(d, earlier);
      seenIds.put(d.message().id(), Boolean.TRUE);
      shownSeq = Math.max(shownSeq, d.seq());
    }
    toAck.accumulateAndGet(d.seq(), Math::max);
    if (ackScheduled.compareAndSet(false, true)) {
      try {
        scheduler.execute(this::sendAck);
      } catch (RejectedExecutionException e) {
        // Shutting down: the entry stays unacked and comes again next time (then de-duplicated).
        ackScheduled.set(false);
      }
    }
    return true;
  }

  private void sendAck() {
    ackScheduled.set(false);
    Session s = session;
    if (s != null) {
      flushAck(s);
    }
  }

  private void flushAck(Session s) {
    long upTo = toAck.get();
    if (upTo <= acked.get()) {
      return;
    }
    try {
      s.ack(upTo);
      acked.accumulateAndGet(upTo, Math::max);
    } catch (ChatException e) {
      // Not lost: an unacked entry comes again after reconnecting and is de-duplicated.
      log.info("ack {} failed: {}", upTo, e.toString());
    }
  }

  // ---- reconnecting -----------------------------------------------------------------------------

  private void connectionLost(Throwable cause) {
    if (session == null || !reconnecting.compareAndSet(false, true)) {
      return;
    }
    generation.incrementAndGet();
    log.info("connection lost, reconnecting", cause);
    listener.onConnectionLost();
    schedule(0);
  }

  private void schedule(int attempt) {
    long base = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt, 10));
    // Jitter spreads the clients of a restarted server over time instead of all at once.
    long delay = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    try {
      scheduler.schedule(() -> attempt(attempt), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.info("not reconnecting: the client is shutting down");
    }
  }

  private void attempt(int attempt) {
    Session old = session;
    if (!reconnecting.get() || old == null) {
      return;
    }
    try {
      if (attempt > 0) {
        reopenService();
      }
      ChatService svc = service();
      Session s;
      try {
        s = svc.resume(old.token());
      } catch (ChatException e) {
        if (e.code() != ErrorCode.UNAUTHENTICATED) {
          throw e;
        }
        s = svc.login(user, password);
      }
      long cursor;
      synchronized (deliveryLock) {
        cursor = shownSeq;
      }
      if (!reconnecting.compareAndSet(true, false)) {
        return; // logged out meanwhile
      }
      session = s;
      log.info("reconnected as {} after {} attempt(s)", s.user(), attempt + 1);
      listener.onReconnected(); // before what waited comes in, so it reads in order
      subscribe(s, cursor);
      flushAck(s);
    } catch (ChatException e) {
      if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.INTERNAL) {
        log.info("reconnect attempt {} failed: {}", attempt + 1, e.toString());
        schedule(attempt + 1);
      } else {
        log.info("session cannot be restored: {}", e.toString());
        forget();
        listener.onSessionEnded(e.getMessage());
      }
    } catch (RuntimeException e) {
      log.info("reconnect attempt {} failed", attempt + 1, e);
      schedule(attempt + 1);
    }
  }

  /** A connector may not recover by itself: after a failed attempt, start from a fresh one. */
  private synchronized void reopenService() {
    ChatService old = service;
    service = null;
    if (old != null) {
      try {
        old.close();
      } catch (RuntimeException e) {
        log.debug("closing the old service failed", e);
      }
    }
  }
}
