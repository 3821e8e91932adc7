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
  private final SessionTokens tokens;
  /** A hash of a random password, verified against on unknown users so timing hides existence. */
  private final String decoyHash;

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
    this.tokens = new SessionTokens(b.random);
    this.decoyHash =
        authMode == AuthMode.PASSWORD ? hasher.hash("decoy-password-never-used".toCharArray()) : null;
  }

  public static Builder builder() {
    return new Builder();
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
      hash = hasher.hash(password.toCharArray());
    }
    store.createAccount(name, hash, clock.instant());
    log.info("account created: {}", name);
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
      } else if (account.isEmpty()) {
        hasher.verify(password.toCharArray(), decoyHash);
        ok = false;
      } else {
        ok = hasher.verify(password.toCharArray(), account.get().passwordHash());
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
    Set<LocalSession> mine = sessionsByUser.computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet());
    synchronized (mine) {
      expireIdle(mine);
      if (mine.size() >= limits.maxSessionsPerUser()) {
        // Make room by dropping the longest-idle session without a live stream, if any.
        LocalSession victim =
            mine.stream()
                .filter(s -> !s.hasStream())
                .min(Comparator.comparing(LocalSession::lastUsed))
                .orElseThrow(
                    () ->
                        ChatException.unavailable(
                            "Too many sessions for " + name + " (max " + limits.maxSessionsPerUser() + ")."));
        end(victim);
      }
      SessionTokens.Token token = tokens.next();
      LocalSession s = new LocalSession(this, account, token, clock.instant());
      sessionsById.put(token.id(), s);
      mine.add(s);
      sessionsByUser.putIfAbsent(name, mine); // re-add if expiry emptied and removed it
      return s;
    }
  }

  private void expireIdle(Set<LocalSession> mine) {
    Instant cutoff = clock.instant().minus(limits.sessionIdleTimeout());
    for (LocalSession s : List.copyOf(mine)) {
      if (!s.hasStream() && s.lastUsed().isBefore(cutoff)) {
        end(s);
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
    sessionsById.remove(s.tokenId, s);
    Set<LocalSession> mine = sessionsByUser.get(s.user());
    if (mine != null) {
      mine.remove(s);
      if (mine.isEmpty()) {
        sessionsByUser.remove(s.user(), mine);
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
