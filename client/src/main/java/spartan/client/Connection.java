package spartan.client;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.client.Dialer.Endpoint;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Session;

/**
 * The client's hold on the server: the current {@link ChatService} and {@link Session}, the event
 * subscription, de-duplication, acks, and failing over when the server goes away.
 *
 * <p>Connecting tries the {@link Dialer}'s endpoints in the order given (the person's order is
 * their preference, e.g. the nearest node first), each attempt bounded by {@link
 * Dialer.Timing#attemptTimeout}. A connection lost while logged in is restored on another
 * endpoint first: the others in random order, so that the clients of a dead node spread over the
 * survivors instead of all landing on the next one in everyone's list, and the lost one last.
 * The session is resumed by token, or logged in again as the same user (the password, in
 * password mode, is kept in memory only while logged in), and the event stream re-subscribed from
 * the last message shown: the server sends again whatever was not acked. While no endpoint
 * answers, rounds repeat with doubling backoff up to {@link Dialer.Timing#maxBackoff}.
 *
 * <p>A stream ended with {@link ChatException#isDataReset()} (the servers' shared data was lost:
 * inbox sequences restart at 1, tokens are gone) is repaired the same way, except that the
 * session is logged in again rather than resumed, and the sequence cursor, the backlog mark and
 * the remembered message ids are dropped before it subscribes from the start; otherwise the new
 * sequences, at or below the old cursor, would be taken for messages already shown.
 *
 * <p>Each message is handed to the {@link Listener} once (by inbox sequence and by message id,
 * since delivery is at-least-once, also across a failover) and acked after the listener returned,
 * i.e. after it was shown. Acks are coalesced and sent from the scheduler thread, never from a
 * transport callback; reconnect attempts run on a small pool of their own (at most {@link
 * Dialer#MAX_ENDPOINTS} threads, for attempts that outlive their timeout). Thread-safe: the REPL
 * thread calls in while transport threads deliver events.
 */
final class Connection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

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

    /**
     * The connection to {@code lost} (a label, null for an unnamed server) is gone and a reconnect
     * is taking a while. Called at most once per outage; a quick reconnect skips it.
     */
    void onConnectionLost(String lost);

    /** A whole round of several endpoints failed; once per outage. */
    default void onNoServerAnswers(List<String> tried) {}

    /**
     * The session is back, on {@code now} (a label, null for an unnamed server); {@code
     * announced} says whether {@link #onConnectionLost} was called for this outage.
     */
    void onReconnected(String lost, String now, boolean announced);

    /**
     * The servers lost their data and the session was logged in again on {@code now} (a label,
     * null for an unnamed server), counting messages afresh; said instead of {@link
     * #onReconnected}. What had not been delivered before the reset is gone with the data.
     */
    default void onDataReset(String now) {}

    /** The session cannot be restored (account deleted, credentials changed). */
    void onSessionEnded(String why);
  }

  private final Dialer dialer;
  private final Dialer.Timing timing;
  private final ScheduledExecutorService scheduler;
  private final Listener listener;
  /** Runs connect and reconnect attempts, which block; bounded, see the class comment. */
  private final ThreadPoolExecutor attempts;

  // Guarded by this; volatile so that reads need no lock.
  private volatile ChatService service;
  private volatile Endpoint endpoint;
  private volatile Session session;
  private volatile String user;
  /** Kept only while logged in, to log in again on another node; null in open mode. */
  private volatile String password;
  /** The outage being repaired; null while connected. */
  private volatile Outage outage;

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

  private final Clock clock;

  Connection(Dialer dialer, ScheduledExecutorService scheduler, Clock clock, Listener listener) {
    this.dialer = dialer;
    this.timing = dialer.timing();
    this.clock = clock;
    this.scheduler = scheduler;
    this.listener = listener;
    this.attempts =
        new ThreadPoolExecutor(
            0,
            Dialer.MAX_ENDPOINTS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "spartan-client-connect");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The service, connecting on first use (or after {@link #failed} dropped it) to the first
   * endpoint that answers, in order.
   *
   * @throws ChatException the last endpoint's failure when none answers
   */
  synchronized ChatService service() {
    if (service != null) {
      return service;
    }
    ChatException last = null;
    for (Endpoint e : dialer.endpoints()) {
      try {
        Opened<Void> o =
            await(
                attempt(
                    e,
                    svc -> {
                      svc.authMode(); // a lazy connector connects here
                      return null;
                    }));
        service = o.service();
        endpoint = e;
        log.info("connected to {}", e.label() == null ? "the server" : e.label());
        return service;
      } catch (ChatException x) {
        log.info("cannot connect to {}: {}", e.label(), x.toString());
        last = x;
      }
    }
    throw last != null ? last : ChatException.unavailable("No server address to connect to.");
  }

  /** The endpoint connected to; null before the first connect. */
  Endpoint endpoint() {
    return endpoint;
  }

  /** The first endpoint's port, for saying which server could not be reached. */
  int endpointPort() {
    List<Endpoint> all = dialer.endpoints();
    return all.isEmpty() ? 0 : all.get(0).port();
  }

  /** Every endpoint's label, for saying which could not be reached; null labels left out. */
  List<String> endpointLabels() {
    List<String> out = new ArrayList<>();
    for (Endpoint e : dialer.endpoints()) {
      if (e.label() != null) {
        out.add(e.label());
      }
    }
    return out;
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
    synchronized (this) {
      this.user = s.user();
      this.password = pass;
      this.session = s;
    }
  }

  /** Starts the event stream of the session just logged in to. */
  void startEvents() {
    subscribe(session(), 0);
  }

  /** Ends the session (best effort: the server may be gone; while reconnecting it is). */
  void logout() {
    Session s;
    boolean wasReconnecting;
    synchronized (this) {
      s = session;
      wasReconnecting = outage != null;
      endSession();
    }
    if (s != null && !wasReconnecting) {
      flushAck(s);
      try {
        s.logout();
      } catch (RuntimeException e) {
        log.info("logout failed (session dropped anyway): {}", e.toString());
      }
    }
  }

  /** Forgets the session without telling the server (it was deleted there). */
  synchronized void forget() {
    endSession();
  }

  /** Guarded by this. */
  private void endSession() {
    session = null;
    password = null;
    generation.incrementAndGet();
    Outage o = outage;
    outage = null;
    if (o != null) {
      o.cancelAnnouncement();
    }
  }

  /** Releases the service and stops reconnecting. */
  void close() {
    logout();
    synchronized (this) {
      closeQuietly(service);
      service = null;
    }
    attempts.shutdownNow();
  }

  /**
   * Reports a failed call. If the server is unreachable: while logged in, starts reconnecting and
   * returns true; otherwise drops the service, so the next call connects afresh (to whichever
   * endpoint answers), and returns false.
   */
  boolean failed(ChatException e) {
    if (e.code() != ErrorCode.UNAVAILABLE) {
      return false;
    }
    if (loggedIn()) {
      connectionLost(e, e.isDataReset());
      return true;
    }
    ChatService dropped;
    synchronized (this) {
      dropped = session == null ? service : null;
      if (dropped != null) {
        service = null;
      }
    }
    closeQuietly(dropped);
    return false;
  }

  boolean reconnecting() {
    return outage != null;
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
        connectionLost(t, t instanceof ChatException c && c.isDataReset());
      }
    }

    @Override
    public void onComplete() {
      if (current()) {
        log.info("event stream ended by the server");
        connectionLost(null, false);
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

  // ---- attempts ---------------------------------------------------------------------------------

  /** A service opened to an endpoint, and what the attempt's work returned on it. */
  private record Opened<T>(Endpoint endpoint, ChatService service, T value) {}

  /**
   * Opens {@code e} and runs {@code work} on it, on the attempt pool, bounded by the attempt
   * timeout. On failure or timeout the service is closed (which also ends a call still blocked on
   * it), and so is one that succeeds too late.
   */
  private <T> CompletableFuture<Opened<T>> attempt(Endpoint e, Function<ChatService, T> work) {
    CompletableFuture<Opened<T>> result = new CompletableFuture<>();
    AtomicReference<ChatService> opened = new AtomicReference<>();
    try {
      attempts.execute(
          () -> {
            ChatService svc = null;
            try {
              svc = dialer.open(e);
              opened.set(svc);
              if (result.isDone()) {
                closeQuietly(svc);
                return;
              }
              T value = work.apply(svc);
              if (!result.complete(new Opened<>(e, svc, value))) {
                abandon(svc, value);
              }
            } catch (RuntimeException x) {
              result.completeExceptionally(x);
              closeQuietly(svc);
            }
          });
    } catch (RejectedExecutionException x) {
      result.completeExceptionally(
          ChatException.unavailable("Too many connection attempts at once, or shutting down."));
      return result;
    }
    try {
      scheduler.schedule(
          () -> {
            if (result.completeExceptionally(
                new TimeoutException(
                    "no answer within " + timing.attemptTimeout().toMillis() + " ms"))) {
              closeLater(opened.get());
            }
          },
          timing.attemptTimeout().toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException x) {
      // Shutting down: the attempt ends with its own transport's timeouts.
    }
    return result;
  }

  /** Waits for an attempt on the calling thread, which is not the scheduler's. */
  private static <T> Opened<T> await(CompletableFuture<Opened<T>> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ChatException.unavailable("Interrupted while connecting.");
    } catch (ExecutionException e) {
      throw asChatException(e.getCause());
    }
  }

  private static ChatException asChatException(Throwable t) {
    if (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof ChatException c) {
      return c;
    }
    if (t instanceof TimeoutException) {
      return ChatException.unavailable("The server did not answer in time (" + t.getMessage() + ").");
    }
    log.info("connection attempt failed", t);
    return ChatException.unavailable("Cannot connect (" + t + ").");
  }

  /**
   * A session made by an attempt nobody wants any more: ends it on the server if it can, off the
   * calling thread.
   */
  private void abandon(ChatService svc, Object value) {
    offThread(
        () -> {
          if (value instanceof Session s) {
            try {
              s.logout();
            } catch (RuntimeException e) {
              log.debug("logging out an abandoned session failed", e);
            }
          }
          closeQuietly(svc);
        });
  }

  /** Closes a service off the calling thread: a connector's close may wait for its channel. */
  private void closeLater(ChatService svc) {
    if (svc != null) {
      offThread(() -> closeQuietly(svc));
    }
  }

  private void offThread(Runnable r) {
    try {
      attempts.execute(r);
    } catch (RejectedExecutionException e) {
      r.run(); // shutting down, or every attempt thread busy: the caller waits instead
    }
  }

  private static void closeQuietly(ChatService svc) {
    if (svc != null) {
      try {
        svc.close();
      } catch (RuntimeException e) {
        log.debug("closing a service failed", e);
      }
    }
  }

  // ---- reconnecting -----------------------------------------------------------------------------

  /** One outage, from a lost connection until the session is back. Read and changed on the scheduler thread. */
  private final class Outage {
    final Endpoint lost;
    final Session old;
    /** The servers' data was reset: log in afresh and count from the start. */
    final boolean reset;
    List<Endpoint> round = List.of();
    int next;
    int rounds;
    volatile boolean announced;
    boolean saidNoServer;
    ScheduledFuture<?> announcement;

    Outage(Endpoint lost, Session old, boolean reset) {
      this.lost = lost;
      this.old = old;
      this.reset = reset;
    }

    String lostLabel() {
      return lost == null ? null : lost.label();
    }

    void cancelAnnouncement() {
      ScheduledFuture<?> a = announcement;
      if (a != null) {
        a.cancel(false);
      }
    }
  }

  private void connectionLost(Throwable cause, boolean reset) {
    Outage o;
    synchronized (this) {
      Session s = session;
      if (s == null || outage != null) {
        return;
      }
      o = new Outage(endpoint, s, reset);
      outage = o;
      generation.incrementAndGet();
    }
    log.info("connection to {} lost, reconnecting", o.lostLabel(), cause);
    try {
      o.announcement =
          scheduler.schedule(
              () -> announce(o), timing.announceAfter().toMillis(), TimeUnit.MILLISECONDS);
      scheduler.execute(() -> step(o));
    } catch (RejectedExecutionException e) {
      log.info("not reconnecting: the client is shutting down");
    }
  }

  /** Tells the person, once, that the connection is gone; on the scheduler thread. */
  private void announce(Outage o) {
    if (outage == o && !o.announced) {
      o.announced = true;
      listener.onConnectionLost(o.lostLabel());
    }
  }

  /** Tries the next endpoint of the round, or starts the next round; on the scheduler thread. */
  private void step(Outage o) {
    if (outage != o) {
      return;
    }
    if (o.next >= o.round.size()) {
      if (o.rounds > 0) {
        announce(o);
        if (o.round.size() > 1 && !o.saidNoServer) {
          o.saidNoServer = true;
          listener.onNoServerAnswers(o.round.stream().map(Endpoint::label).toList());
        }
      }
      o.round = order(dialer.endpoints(), o.lost);
      o.next = 0;
      long delay = o.rounds == 0 ? 0 : backoff(o.rounds - 1);
      o.rounds++;
      schedule(() -> step(o), delay);
      return;
    }
    Endpoint e = o.round.get(o.next++);
    attempt(e, svc -> again(svc, o))
        .whenComplete(
            (opened, failure) -> {
              try {
                scheduler.execute(() -> attempted(o, e, opened, failure));
              } catch (RejectedExecutionException x) {
                if (opened != null) {
                  abandon(opened.service(), opened.value());
                }
              }
            });
  }

  /** The others in random order, then the lost one: see the class comment. */
  private static List<Endpoint> order(List<Endpoint> endpoints, Endpoint lost) {
    List<Endpoint> others = new ArrayList<>(endpoints);
    boolean hadLost = others.remove(lost);
    Collections.shuffle(others, ThreadLocalRandom.current());
    if (hadLost) {
      others.add(lost);
    }
    return others;
  }

  private long backoff(int failedRounds) {
    long first = timing.firstBackoff().toMillis();
    long base = Math.min(timing.maxBackoff().toMillis(), first << Math.min(failedRounds, 20));
    // Jitter spreads the clients of a restarted server over time instead of all at once.
    return (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
  }

  private void schedule(Runnable r, long delayMs) {
    try {
      scheduler.schedule(r, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.info("not reconnecting: the client is shutting down");
    }
  }

  /**
   * The same user's session on {@code svc}: resumed by token, or logged in again; after a data
   * reset always logged in again (the token went with the data, and a node that has not noticed
   * the reset yet must not resume it).
   */
  private Session again(ChatService svc, Outage o) {
    Session old = o.old;
    if (o.reset) {
      return svc.login(old.user(), password);
    }
    try {
      return svc.resume(old.token());
    } catch (ChatException e) {
      if (e.code() != ErrorCode.UNAUTHENTICATED) {
        throw e;
      }
      // Tokens live in one node's memory: another node, or a restarted one, does not know it.
      return svc.login(old.user(), password);
    }
  }

  /** An attempt ended; on the scheduler thread. */
  private void attempted(Outage o, Endpoint e, Opened<Session> opened, Throwable failure) {
    if (failure == null) {
      install(o, opened);
      return;
    }
    ChatException c = asChatException(failure);
    if (retryable(c.code())) {
      log.info("reconnect to {} failed: {}", e.label(), c.toString());
      step(o);
      return;
    }
    boolean ended;
    synchronized (this) {
      ended = outage == o;
      if (ended) {
        endSession();
      }
    }
    if (ended) {
      log.info("session cannot be restored: {}", c.toString());
      listener.onSessionEnded(c.getMessage());
    }
  }

  /** Failures another attempt may get past; the rest mean the session cannot come back. */
  private static boolean retryable(ErrorCode code) {
    return code == ErrorCode.UNAVAILABLE
        || code == ErrorCode.INTERNAL
        || code == ErrorCode.RATE_LIMITED; // a node throttling a crowd of reconnects
  }

  private void install(Outage o, Opened<Session> opened) {
    Session s = opened.value();
    long cursor;
    synchronized (deliveryLock) {
      if (o.reset) {
        // The old sequences and ids mean nothing in the new data; keeping them would drop every
        // new message up to the old cursor as already shown.
        shownSeq = 0;
        backlogSeq = 0;
        backlogBefore = null;
        seenIds.clear();
        toAck.set(0);
        acked.set(0);
      }
      cursor = shownSeq;
    }
    ChatService old;
    synchronized (this) {
      if (outage != o) {
        abandon(opened.service(), s); // logged out meanwhile
        return;
      }
      outage = null;
      old = service;
      service = opened.service();
      endpoint = opened.endpoint();
      session = s;
    }
    o.cancelAnnouncement();
    closeLater(old);
    log.info(
        "reconnected as {} to {} after {} round(s)", s.user(), opened.endpoint().label(), o.rounds);
    // Before what waited comes in, so it reads in order.
    if (o.reset) {
      listener.onDataReset(opened.endpoint().label());
    } else {
      listener.onReconnected(o.lostLabel(), opened.endpoint().label(), o.announced);
    }
    subscribe(s, cursor);
    flushAck(s);
  }
}
