package spartan.core.service;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
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
import spartan.core.auth.PasswordHasher;
import spartan.core.auth.SessionTokens;
import spartan.core.limit.LocalRateLimiter;
import spartan.core.limit.RateLimit;
import spartan.core.store.ChatStore;

/**
 * The chat service itself, in-process: accounts, sessions, delivery. The transports expose it;
 * tests and benchmarks may use it directly.
 *
 * <p>Thread-safe. Blocking methods may do store I/O on the calling thread, so transports call
 * them from a blocking executor. Event delivery runs on the injected delivery executor; the
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
  final ChatRequests requests;
  final Groups groups;
  /** Recipients a user's messages may reach per second (null: unlimited); see the builder. */
  final LocalRateLimiter fanout;
  private final SessionTokens tokens;
  /** A hash of a random password, verified against on unknown users so timing hides existence. */
  private final String decoyHash;
  /** At most this many password hashes run at once (see {@link #hashing}). */
  private final java.util.concurrent.Semaphore hashPermits;

  private final ConcurrentHashMap<String, LocalSession> sessionsById = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<LocalSession>> sessionsByUser =
      new ConcurrentHashMap<>();
  private volatile boolean closed;

  private LocalChatService(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.deliveryExecutor = b.deliveryExecutor;
    this.authMode = b.authMode;
    this.hasher = b.hasher != null ? b.hasher : Argon2idHasher.owaspDefault();
    this.limits = b.limits;
    this.requests = new ChatRequests(clock);
    this.groups = new Groups(this);
    this.fanout =
        b.fanout == null
            ? null
            : new LocalRateLimiter(b.fanout, () -> nanos(b.clock.instant()));
    this.tokens = new SessionTokens(b.random);
    this.hashPermits = new java.util.concurrent.Semaphore(b.maxConcurrentHashes);
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
    private RateLimit fanout;

    public Builder store(ChatStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where event streams run; they may read the store, so not an event loop. */
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

    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

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
      return new LocalChatService(this);
    }
  }

  // ---- ChatService ------------------------------------------------------------------------------

  @Override
  public AuthMode authMode() {
    return authMode;
  }

  @Override
  public void createAccount(String user, String password) {
    checkOpen();
    String name = Names.user(user);
    String hash = null;
    if (authMode == AuthMode.PASSWORD) {
      checkPassword(password);
      // Refuse a taken name before paying for a hash (the store still decides races).
      if (store.findAccount(name).isPresent()) {
        throw ChatException.exists("User already exists: " + name + ".");
      }
      hash = hashing(() -> hasher.hash(password.toCharArray()));
    }
    store.createAccount(name, hash, clock.instant());
    log.info("account created: {}", name);
  }

  /**
   * Runs one password hash under the concurrency cap. Argon2id takes ~19 MiB and tens of
   * milliseconds each, so unbounded concurrent logins would be a memory and CPU denial of
   * service for everyone; past the cap a login fails fast with UNAVAILABLE instead of queueing.
   */
  private <T> T hashing(java.util.function.Supplier<T> work) {
    if (!hashPermits.tryAcquire()) {
      throw ChatException.unavailable("The server is busy checking passwords; try again shortly.");
    }
    try {
      return work.get();
    } finally {
      hashPermits.release();
    }
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
    checkOpen();
    String name = Names.user(user);
    Optional<ChatStore.AccountRecord> account = store.findAccount(name);
    if (authMode == AuthMode.PASSWORD) {
      boolean ok;
      if (password == null || password.length() > Limits.MAX_PASSWORD) {
        ok = false;
      } else if (account.isEmpty() || account.get().passwordHash() == null) {
        // No user, or an account made in open mode (no password can match): pay for a hash
        // anyway, so the answer takes as long as a wrong password and reveals nothing.
        hashing(() -> hasher.verify(password.toCharArray(), decoyHash));
        ok = false;
      } else {
        String stored = account.get().passwordHash();
        ok = hashing(() -> hasher.verify(password.toCharArray(), stored));
      }
      if (!ok) {
        throw ChatException.unauthenticated("Invalid user name or password.");
      }
    } else if (account.isEmpty()) {
      throw ChatException.notFound("No such user: " + name + ".");
    }
    return openSession(account.get());
  }

  private LocalSession openSession(ChatStore.AccountRecord account) {
    String name = account.user();
    LocalSession s;
    while (true) {
      Set<LocalSession> mine =
          sessionsByUser.computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet());
      synchronized (mine) {
        if (sessionsByUser.get(name) != mine) {
          continue; // emptied and dropped by a concurrent end(): use the current set
        }
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
        SessionTokens.Token token = tokens.next();
        s = new LocalSession(this, account, token, clock.instant());
        sessionsById.put(token.id(), s);
        mine.add(s);
        break;
      }
    }
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

  @Override
  public Session resume(String token) {
    checkOpen();
    String id = SessionTokens.idOf(token);
    LocalSession s = id == null ? null : sessionsById.get(id);
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
    for (LocalSession s : List.copyOf(sessionsById.values())) {
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

  /**
   * Removes a session under its user's set lock (the lock openSession holds), dropping an emptied
   * set only when asked, so a concurrent login never adds to a set that is being dropped.
   */
  private void remove(LocalSession s, boolean dropEmptySet) {
    sessionsById.remove(s.tokenId, s);
    Set<LocalSession> mine = sessionsByUser.get(s.user());
    if (mine != null) {
      synchronized (mine) {
        mine.remove(s);
        if (dropEmptySet && mine.isEmpty()) {
          sessionsByUser.remove(s.user(), mine);
        }
      }
    }
    s.markEnded();
  }

  /** Ends every session of {@code user} (account deleted). */
  void endAll(String user) {
    Set<LocalSession> mine = sessionsByUser.get(user);
    if (mine != null) {
      for (LocalSession s : List.copyOf(mine)) {
        end(s);
      }
    }
  }

  /** Whether {@code user} has a session with a live event stream on this node. */
  boolean isOnline(String user) {
    Set<LocalSession> mine = sessionsByUser.get(user);
    if (mine == null) {
      return false;
    }
    for (LocalSession s : mine) {
      if (s.hasStream()) {
        return true;
      }
    }
    return false;
  }

  /** Pushes a stored entry to every live stream of {@code user}. Never blocks. */
  void push(String user, Delivery d) {
    Set<LocalSession> mine = sessionsByUser.get(user);
    if (mine != null) {
      for (LocalSession s : mine) {
        s.offer(d);
      }
    }
  }

  /** Pushes a control event to every live stream of {@code user}. Never blocks. */
  void pushControl(String user, ChatEvent e) {
    Set<LocalSession> mine = sessionsByUser.get(user);
    if (mine != null) {
      for (LocalSession s : mine) {
        s.offerControl(e);
      }
    }
  }

  /** Number of sessions held, for tests and metrics. */
  public int sessionCount() {
    return sessionsById.size();
  }

  static <T> List<T> page(List<T> fetched, int limit) {
    return fetched.size() > limit ? new ArrayList<>(fetched.subList(0, limit)) : fetched;
  }
}
