package spartan.core.service;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.AuthMode;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.Limits;
import spartan.core.Names;
import spartan.core.Session;
import spartan.core.auth.Argon2idHasher;
import spartan.core.auth.AuthThrottle;
import spartan.core.auth.PasswordHasher;
import spartan.core.auth.SessionTokens;
import spartan.core.spi.ChatMetrics;
import spartan.core.spi.NodeBus;
import spartan.core.spi.PendingChatRequests;
import spartan.core.limit.LocalRateLimiter;
import spartan.core.limit.RateLimit;
import spartan.core.store.ChatStore;

/**
 * The chat service itself, in-process: accounts, sessions, delivery. The transports expose it;
 * tests and benchmarks may use it directly.
 *
 * <p>Thread-safe. Blocking methods may do store I/O on the calling thread, so transports call
 * them from a blocking executor. Event delivery ({@link DeliveryRouter}, each session's event
 * stream) and send receipts run on the injected delivery executor, never on the store's writer
 * thread or the caller's event loop; the
 * service starts no threads of its own and reads time only from the injected {@link Clock}.
 * Closing the service ends every session but leaves the store open: whoever built the store
 * closes it.
 */
public final class LocalChatService implements ChatService {
  private static final Logger log = LoggerFactory.getLogger(LocalChatService.class);

  final ChatStore store;
  final Clock clock;
  final Executor deliveryExecutor;
  final AuthMode authMode;
  final PasswordHasher hasher;
  final Limits limits;
  final PendingChatRequests requests;
  /** The other nodes sharing the store ({@link NodeBus#SINGLE} when alone). */
  final NodeBus bus;
  final ChatMetrics metrics;
  final Groups groups;
  /** Recipients a user's messages may reach per second (null: unlimited); see the builder. */
  final LocalRateLimiter fanout;
  private final SessionTokens tokens;
  /** A hash of a random password, verified against on unknown users so timing hides existence. */
  private final String decoyHash;
  /** At most this many password hashes run at once (see {@link #hashing}); fair, so FIFO. */
  private final Semaphore hashPermits;
  /** Sign-ups may hold at most this share of {@link #hashPermits}, so logins always get some. */
  private final Semaphore signUpPermits;
  private final long hashWaitNanos;
  private final AuthThrottle throttle;

  final SessionRegistry sessions = new SessionRegistry();
  final DeliveryRouter delivery;
  private volatile boolean closed;

  private LocalChatService(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.deliveryExecutor = b.deliveryExecutor;
    this.delivery = new DeliveryRouter(sessions, b.deliveryExecutor, b.store);
    this.authMode = b.authMode;
    this.hasher = b.hasher != null ? b.hasher : Argon2idHasher.owaspDefault();
    this.limits = b.limits;
    this.bus = b.bus;
    this.requests = b.bus.sharedRequests().orElseGet(() -> new ChatRequests(clock));
    this.metrics = b.metrics;
    this.groups = new Groups(this);
    this.fanout =
        b.fanout == null
            ? null
            : new LocalRateLimiter(b.fanout, () -> nanos(b.clock.instant()));
    this.tokens = new SessionTokens(b.random);
    this.hashPermits = new Semaphore(b.maxConcurrentHashes, true);
    this.signUpPermits = new Semaphore(Math.max(1, b.maxConcurrentHashes / 2), true);
    this.hashWaitNanos = b.hashWait.toNanos();
    this.throttle = b.throttle != null ? b.throttle : AuthThrottle.builder().clock(clock).build();
    this.decoyHash =
        authMode == AuthMode.PASSWORD ? hasher.hash("decoy-password-never-used".toCharArray()) : null;
  }

  public static Builder builder() {
    return new Builder();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Builds a {@link LocalChatService}; {@link #store} and {@link #deliveryExecutor} are required. */
  public static final class Builder {
    private ChatStore store;
    private Clock clock = Clock.systemUTC();
    private Executor deliveryExecutor;
    private AuthMode authMode = AuthMode.OPEN;
    private PasswordHasher hasher;
    private Limits limits = Limits.defaults();
    private SecureRandom random = new SecureRandom();
    private int maxConcurrentHashes = Math.max(2, Runtime.getRuntime().availableProcessors());
    private Duration hashWait = Duration.ofSeconds(3);
    private AuthThrottle throttle;
    private ChatMetrics metrics = ChatMetrics.NONE;
    private RateLimit fanout;
    private NodeBus bus = NodeBus.SINGLE;

    public Builder store(ChatStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Where delivery ({@link DeliveryRouter}, each session's event stream) and send receipts
     * run; they may read the store, so not an event loop, and not the store's writer.
     */
    public Builder deliveryExecutor(Executor executor) {
      this.deliveryExecutor = Objects.requireNonNull(executor, "deliveryExecutor");
      return this;
    }

    public Builder authMode(AuthMode mode) {
      this.authMode = Objects.requireNonNull(mode, "authMode");
      return this;
    }

    /** Defaults to Argon2id with OWASP's minimum parameters. */
    public Builder passwordHasher(PasswordHasher hasher) {
      this.hasher = Objects.requireNonNull(hasher, "passwordHasher");
      return this;
    }

    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** Password hashes allowed at once (default: the number of cores, at least 2). */
    public Builder maxConcurrentHashes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxConcurrentHashes must be positive, was " + n);
      }
      this.maxConcurrentHashes = n;
      return this;
    }

    /**
     * How long a login or sign-up waits, in arrival order, for a hashing slot before it fails
     * with {@code UNAVAILABLE} (default 3 s).
     */
    public Builder hashWait(Duration wait) {
      if (wait.isNegative()) {
        throw new IllegalArgumentException("hashWait must not be negative, was " + wait);
      }
      this.hashWait = wait;
      return this;
    }

    /**
     * Limits login attempts per name and per address and sign-ups per address (see {@link
     * AuthThrottle}); defaults to {@link AuthThrottle}'s defaults on this builder's clock.
     */
    public Builder authThrottle(AuthThrottle throttle) {
      this.throttle = Objects.requireNonNull(throttle, "authThrottle");
      return this;
    }

    /** Told about logins, stored messages and deliveries; {@link ChatMetrics#NONE} by default. */
    public Builder metrics(ChatMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * Charges every message by its number of recipients against a per-user budget of {@code
     * limit.perSecond()} recipients a second (burst {@code limit.burst()}), so one user cannot
     * multiply the send rate by a group's size. Null (the default) charges nothing. The burst
     * must admit one message to a full group ({@code limits.maxGroupMembers - 1} recipients).
     * Held per node.
     */
    public Builder recipientsPerSecond(RateLimit limit) {
      this.fanout = limit;
      return this;
    }

    /**
     * The other nodes that share this service's store ({@link NodeBus#SINGLE}, the default, for a
     * node alone). The service attaches itself to the bus when built; whoever made the bus starts
     * it before clients connect and closes it after the service.
     */
    public Builder nodeBus(NodeBus bus) {
      this.bus = Objects.requireNonNull(bus, "nodeBus");
      return this;
    }

    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds the service and records its auth mode in the store.
     *
     * @throws IllegalStateException if a required part is missing, or if the mode is {@link
     *     AuthMode#OPEN} and the store holds accounts with passwords
     */
    public LocalChatService build() {
      if (store == null) {
        throw new IllegalStateException("store is required");
      }
      if (deliveryExecutor == null) {
        throw new IllegalStateException("deliveryExecutor is required");
      }
      if (fanout != null && fanout.burst() < limits.maxGroupMembers() - 1) {
        throw new IllegalArgumentException(
            "rateLimit.recipientsBurst must be at least limits.maxGroupMembers - 1 ("
                + (limits.maxGroupMembers() - 1)
                + "), was "
                + fanout.burst());
      }
      checkAuthModeFitsTheData(store, authMode);
      LocalChatService service = new LocalChatService(this);
      store.recordAuthMode(authMode);
      bus.attach(service.new BusSide());
      return service;
    }
  }

  /**
   * Open mode over accounts that have passwords would let anyone log in as them, so it is
   * refused; the other way round (open-mode accounts served in password mode) only locks those
   * accounts out and is allowed.
   */
  private static void checkAuthModeFitsTheData(ChatStore store, AuthMode mode) {
    if (mode != AuthMode.OPEN) {
      return;
    }
    long withPasswords = store.passwordAccounts();
    if (withPasswords > 0) {
      String last =
          store.recordedAuthMode().map(m -> m.name().toLowerCase(java.util.Locale.ROOT))
              .orElse("unknown");
      throw new IllegalStateException(
          "auth: open refused: the store holds " + withPasswords + " account"
              + (withPasswords == 1 ? "" : "s") + " with a password (last served with auth: "
              + last + "), and open mode would let anyone log in as them without it. Serve it"
              + " with auth: password (--auth password), or use another store.dataDir.");
    }
  }

  // ---- ChatService ------------------------------------------------------------------------------

  @Override
  public AuthMode authMode() {
    return authMode;
  }

  @Override
  public void createAccount(String user, String password) {
    createAccount(user, password, null);
  }

  private void createAccount(String user, String password, InetAddress from) {
    checkOpen();
    String name = Names.user(user);
    if (authMode == AuthMode.PASSWORD) {
      checkPassword(password);
    }
    throttle.beginSignUp(from);
    String hash = null;
    if (authMode == AuthMode.PASSWORD) {
      // Refuse a taken name before paying for a hash (the store still decides races).
      if (store.findAccount(name).isPresent()) {
        throw ChatException.exists("User already exists: " + name + ".");
      }
      hash = hashing(() -> hasher.hash(password.toCharArray()), true);
    }
    store.createAccount(name, hash, clock.instant());
    log.info("account created: {}", name);
  }

  /**
   * Runs one password hash under the concurrency cap. Argon2id takes ~19 MiB and tens of
   * milliseconds each, so unbounded concurrent hashing would be a memory and CPU denial of
   * service for everyone. Callers wait their turn in arrival order (a fair semaphore), for at
   * most {@code hashWait} per slot, then fail with UNAVAILABLE; sign-ups first take one of their own
   * smaller share of slots, so a sign-up flood leaves slots for logins. The {@link AuthThrottle}
   * in front keeps any one name or address from queueing many hashes.
   */
  private <T> T hashing(Supplier<T> work, boolean signUp) {
    if (signUp && !acquire(signUpPermits)) {
      throw busy();
    }
    try {
      if (!acquire(hashPermits)) {
        throw busy();
      }
      try {
        return work.get();
      } finally {
        hashPermits.release();
      }
    } finally {
      if (signUp) {
        signUpPermits.release();
      }
    }
  }

  private boolean acquire(Semaphore permits) {
    try {
      return permits.tryAcquire(hashWaitNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static ChatException busy() {
    return ChatException.unavailable("The server is busy checking passwords; try again shortly.");
  }

  private static void checkPassword(String password) {
    if (password == null
        || password.length() < Limits.MIN_PASSWORD
        || password.length() > Limits.MAX_PASSWORD) {
      throw ChatException.invalid(
          "password must be " + Limits.MIN_PASSWORD + "-" + Limits.MAX_PASSWORD + " characters");
    }
  }

  @Override
  public Session login(String user, String password) {
    return login(user, password, null);
  }

  private Session login(String user, String password, InetAddress from) {
    checkOpen();
    String name = Names.user(user);
    if (authMode != AuthMode.PASSWORD) {
      Optional<ChatStore.AccountRecord> account = store.findAccount(name);
      if (account.isEmpty()) {
        metrics.loginFailed();
        throw ChatException.notFound("No such user: " + name + ".");
      }
      Session s = openSession(account.get());
      metrics.loginSucceeded();
      return s;
    }
    // Before the store read and the hash: a refused guess costs next to nothing.
    try (AuthThrottle.Attempt attempt = throttle.beginLogin(name, from)) {
      Optional<ChatStore.AccountRecord> account = store.findAccount(name);
      boolean ok;
      try {
        if (password == null || password.length() > Limits.MAX_PASSWORD) {
          ok = false;
        } else if (account.isEmpty() || account.get().passwordHash() == null) {
          // No user, or an account made in open mode (no password can match): pay for a hash
          // anyway, so the answer takes as long as a wrong password and reveals nothing.
          hashing(() -> hasher.verify(password.toCharArray(), decoyHash), false);
          ok = false;
        } else {
          String stored = account.get().passwordHash();
          ok = hashing(() -> hasher.verify(password.toCharArray(), stored), false);
        }
      } catch (ChatException busy) {
        // No slot came free: no password was checked, so this was no guess.
        attempt.notTried();
        throw busy;
      }
      if (!ok) {
        metrics.loginFailed();
        throw ChatException.unauthenticated("Invalid user name or password.");
      }
      attempt.succeeded();
      Session s = openSession(account.get());
      metrics.loginSucceeded();
      return s;
    }
  }

  private LocalSession openSession(ChatStore.AccountRecord account) {
    String name = account.user();
    LocalSession s =
        sessions.add(
            name,
            mine -> {
              expireIdle(mine);
              if (mine.size() >= limits.maxSessionsPerUser()) {
                // Make room by dropping the longest-idle session without a live stream, if any.
                LocalSession victim =
                    mine.stream()
                        .filter(x -> !x.hasStream())
                        .min(Comparator.comparing(LocalSession::lastUsed))
                        .orElseThrow(
                            () ->
                                ChatException.unavailable(
                                    "Too many sessions for " + name + " (max "
                                        + limits.maxSessionsPerUser() + ")."));
                remove(victim, false);
              }
              return new LocalSession(this, account, tokens.next(), clock.instant());
            });
    // A deletion that ran between reading the account and registering the session missed it:
    // check again now that endAll() would find it, so no session outlives its account.
    Optional<ChatStore.AccountRecord> now = store.findAccount(name);
    if (now.isEmpty() || now.get().id() != account.id()) {
      end(s);
      throw ChatException.unauthenticated("The account was deleted; log in again.");
    }
    return s;
  }

  private void expireIdle(Set<LocalSession> mine) {
    Instant cutoff = clock.instant().minus(limits.sessionIdleTimeout());
    for (LocalSession s : List.copyOf(mine)) {
      if (!s.hasStream() && s.lastUsed().isBefore(cutoff)) {
        remove(s, false); // the caller holds this set's lock and keeps the set
      }
    }
  }

  /**
   * A view of this service whose sign-ups and login attempts are counted against {@code
   * address} by the {@link AuthThrottle}; everything else is this service. A null address gives
   * this service itself (counted by account name only).
   */
  @Override
  public ChatService forClient(InetAddress address) {
    // A transport that cannot name the peer's IP (an in-process channel) passes null.
    return address == null ? this : new ClientView(this, address);
  }

  /** {@link #forClient}'s view; closing it leaves the service running. */
  private record ClientView(LocalChatService service, InetAddress address) implements ChatService {
    @Override
    public AuthMode authMode() {
      return service.authMode;
    }

    @Override
    public void createAccount(String user, String password) {
      service.createAccount(user, password, address);
    }

    @Override
    public Session login(String user, String password) {
      return service.login(user, password, address);
    }

    @Override
    public Session resume(String token) {
      return service.resume(token);
    }

    @Override
    public ChatService forClient(InetAddress other) {
      return service.forClient(other);
    }

    @Override
    public void close() {}
  }

  @Override
  public Session resume(String token) {
    checkOpen();
    String id = SessionTokens.idOf(token);
    LocalSession s = id == null ? null : sessions.byTokenId(id);
    if (s == null || !SessionTokens.matches(token, s.secret)) {
      throw ChatException.unauthenticated("Session expired or logged out; log in again.");
    }
    if (!s.hasStream()
        && s.lastUsed().isBefore(clock.instant().minus(limits.sessionIdleTimeout()))) {
      end(s);
      throw ChatException.unauthenticated("Session expired or logged out; log in again.");
    }
    s.touch();
    return s;
  }

  /**
   * Ends every session and stream. New calls fail with {@code UNAVAILABLE}. The store stays open.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (LocalSession s : sessions.all()) {
      end(s);
    }
  }

  void checkOpen() {
    if (closed) {
      throw ChatException.unavailable("The server is shutting down.");
    }
  }

  // ---- session bookkeeping ----------------------------------------------------------------------

  /** Ends a session: removes it everywhere and completes its stream. */
  void end(LocalSession s) {
    remove(s, true);
  }

  /** Removes a session (see {@link SessionRegistry#remove}) and ends it. */
  private void remove(LocalSession s, boolean dropEmptySet) {
    sessions.remove(s, dropEmptySet);
    s.markEnded();
  }

  /** Ends every session of {@code user} (account deleted), here and on the other nodes. */
  void endAll(String user) {
    endLocal(user);
    bus.accountDeleted(user);
  }

  private void endLocal(String user) {
    for (LocalSession s : List.copyOf(sessions.of(user))) {
      end(s);
    }
  }

  /** Whether {@code user} has a session with a live event stream on this node. */
  boolean isOnline(String user) {
    for (LocalSession s : sessions.of(user)) {
      if (s.hasStream()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Those of {@code users} with a live event stream on this node or another: one Redis round
   * trip for those not live here.
   */
  Set<String> online(List<String> users) {
    Set<String> on = new java.util.HashSet<>();
    List<String> elsewhere = new ArrayList<>();
    for (String u : users) {
      if (isOnline(u)) {
        on.add(u);
      } else {
        elsewhere.add(u);
      }
    }
    if (!elsewhere.isEmpty()) {
      on.addAll(bus.onlineElsewhere(elsewhere));
    }
    return on;
  }

  /**
   * Tells every live stream of {@code users}, on this node and the others, about a live-only
   * event (a chat request or answer, a group event): the one path by which such events reach
   * users. With other nodes, one Redis round trip finds where the users' streams are now, so
   * a stream opened later does not get the event.
   */
  void pushControl(java.util.Collection<String> users, ChatEvent e) {
    for (String u : users) {
      pushLocal(u, e);
    }
    bus.tell(users, e);
  }

  private void pushLocal(String user, ChatEvent e) {
    for (LocalSession s : sessions.of(user)) {
      s.offerControl(e);
    }
  }

  /** The service's half of its {@link NodeBus}: what other nodes' news does here. */
  private final class BusSide implements NodeBus.Node {
    @Override
    public void storedUpTo(java.util.Map<String, Long> tips) {
      delivery.storedUpTo(tips);
    }

    @Override
    public void tell(String user, ChatEvent event) {
      pushLocal(user, event);
    }

    /** Checked against the store, so only a deleted (or re-created) account ends sessions. */
    @Override
    public void accountDeleted(String user) {
      Optional<ChatStore.AccountRecord> now = store.findAccount(user);
      for (LocalSession s : List.copyOf(sessions.of(user))) {
        if (now.isEmpty() || now.get().id() != s.accountId()) {
          end(s);
        }
      }
    }

    @Override
    public void recheck() {
      // every local stream at once: a recheck (periodic, or asked by another node) must cost
      // a few round trips, not one per user
      java.util.Map<String, Long> tips = new java.util.HashMap<>(store.lastSeqs(users()));
      tips.values().removeIf(last -> last <= 0);
      if (!tips.isEmpty()) {
        delivery.storedUpTo(tips);
      }
    }

    @Override
    public Set<String> users() {
      Set<String> users = new java.util.HashSet<>();
      for (LocalSession s : sessions.all()) {
        if (s.hasStream()) {
          users.add(s.user());
        }
      }
      return users;
    }

    @Override
    public void reset(String reason) {
      ChatException why = ChatException.unavailable(reason);
      for (LocalSession s : sessions.all()) {
        sessions.remove(s, true);
        s.markEnded(why);
      }
    }
  }

  /** Tells the other nodes about a local append's entries (their sessions read them). */
  void published(ChatStore.Appended appended) {
    if (appended.duplicate() || appended.deliveries().isEmpty() || bus == NodeBus.SINGLE) {
      return;
    }
    List<Long> seqs = new ArrayList<>(appended.deliveries().size());
    for (Delivery d : appended.deliveries()) {
      seqs.add(d.seq());
    }
    bus.stored(appended.recipients(), seqs, appended.liveOn());
  }

  /**
   * This node's delivery: where news of stored inbox entries goes to reach the live sessions
   * here. Entries stored through this service are routed already; a store shared with other
   * nodes tells it about theirs ({@link DeliveryRouter#storedUpTo}).
   */
  public DeliveryRouter delivery() {
    return delivery;
  }

  /** Number of sessions held, for tests and metrics. */
  public int sessionCount() {
    return sessions.size();
  }

}
