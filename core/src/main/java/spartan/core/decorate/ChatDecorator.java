package spartan.core.decorate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.lang.ref.Reference;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import spartan.core.AuthMode;
import spartan.core.Cached;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.RateLimited;
import spartan.core.Session;
import spartan.core.cache.RecentMessages;
import spartan.core.limit.RateLimiter;
import spartan.core.spi.CachedReads;

/**
 * Applies the API's annotations — {@link RateLimited} and {@link Cached} — around a {@link
 * ChatService}, the way Python's {@code @rate} and {@code @lru_cache} read: the annotations on
 * {@link Session}'s methods are the one place that says which calls are limited and cached, and
 * this decorator finds them by reflection once, at construction, into a table from method to
 * handler. Per call it costs one table lookup and the handlers themselves.
 *
 * <ul>
 *   <li>{@code @RateLimited(action)}: before the call, one permit is taken from the limiter under
 *       {@code action:user} (the calling session's user). A denied call fails with {@link
 *       ChatException#rateLimited} carrying the retry delay — thrown, or as a failed future for a
 *       method returning one — and never reaches the service. A method returning a future does not
 *       wait for its permit: it returns at once, and the call goes ahead when the permit arrives
 *       (a Redis limiter answers checks in batches, from its own thread), on the executor given
 *       with the limiter. Such calls on one decorated session go ahead in the order they were
 *       made, whichever resume of the session they came through (other calls are not ordered
 *       with them). So a connection's pipelined sends
 *       share one Redis round trip instead of waiting one each, and still reach the service in
 *       order.
 *   <li>{@code @Cached}: the call goes to the session's cache-reading form ({@link
 *       CachedReads}, the method with the same signature), whose store reads the recent-message
 *       cache may answer (it sits under the service's checks). A session without that form just
 *       runs the call.
 * </ul>
 *
 * Default methods without annotations run their interface body on the decorated session, so
 * {@code send(...)} goes through the decorated {@code sendAsync} and is limited too.
 *
 * <p>Why a {@link Proxy} and not a hand-written delegating session: measured with {@code
 * DecoratorBenchmark} (bench module), the proxy's dispatch — the table lookup, the argument
 * array, one reflective call — costs a little more than a hand-written delegate, and either is
 * noise next to a call over a transport (figures in BENCHMARKS.md). The proxy
 * applies an annotation placed on any Session method, including one added later, with no code
 * here, which is what keeps the annotations the single source of truth.
 *
 * <p>{@link #decorate(ChatService)} wraps the service so every session it returns ({@code
 * login}, {@code resume}) is decorated. A handler with nothing to apply (no limiter or no cache
 * given) is left out. Thread-safe once built; the decorated service and sessions are as
 * thread-safe as what they wrap.
 */
public final class ChatDecorator {
  private final RateLimiter limiter;
  private final Executor continueOn;
  private final RecentMessages recent;
  private final Map<Method, Handler> handlers;
  private final Map<String, String> plan;
  /**
   * One decorated session per underlying session, so its call order holds across every resume
   * of it (each RPC of a transport resumes the session). Weak both ways: an entry lives while
   * someone holds the decorated session, and a call waiting for its permit holds it.
   */
  private final Cache<Session, Session> decorated =
      Caffeine.newBuilder().weakKeys().weakValues().executor(Runnable::run).build();

  private ChatDecorator(Builder b) {
    this.limiter = b.limiter;
    this.continueOn = b.continueOn;
    this.recent = b.recent;
    for (Method m : ChatService.class.getMethods()) {
      if (m.isAnnotationPresent(RateLimited.class) || m.isAnnotationPresent(Cached.class)) {
        // The limit key is the calling session's user; ChatService calls have none.
        throw new IllegalStateException(
            "@RateLimited/@Cached belong on Session methods; found on ChatService." + m.getName());
      }
    }
    Map<Method, Handler> table = new HashMap<>();
    Map<String, String> described = new TreeMap<>();
    for (Method m : Session.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Handler h = m.isDefault() ? new DefaultBody(m) : new Delegate(m);
      List<String> applied = new ArrayList<>();
      Cached cached = m.getAnnotation(Cached.class);
      if (cached != null && recent != null) {
        h = new CacheScope(cachedForm(m), h);
        applied.add("cached");
      }
      RateLimited limited = m.getAnnotation(RateLimited.class);
      if (limited != null && limiter != null) {
        h =
            returnsFuture(m)
                ? new LimitAsync(limiter, prefix(limited.value()), continueOn, h)
                : new Limit(limiter, prefix(limited.value()), h);
        applied.add("rate limited (" + limited.value() + ")");
      }
      table.put(m, h);
      if (!applied.isEmpty()) {
        described.put(signature(m), String.join(", ", applied));
      }
    }
    this.handlers = Map.copyOf(table);
    this.plan = Collections.unmodifiableMap(described);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link ChatDecorator}; both parts are optional. */
  public static final class Builder {
    private RateLimiter limiter;
    private Executor continueOn;
    private RecentMessages recent;

    private Builder() {}

    /**
     * Applies {@code @RateLimited} with this limiter; null (the default) leaves it unapplied. A
     * call returning a future whose permit is not answered at once goes ahead on {@code
     * continueOn}: it runs the service's call, which may block on the store, so give the
     * server's blocking executor. With a limiter that answers at once (the local one) it is
     * used only when an earlier call of the same session is still going ahead on another thread.
     * The blocking {@code Session.send} waits for such a call, so never call it on a {@code
     * continueOn} thread: with every thread waiting, none would be left to run the calls. A call
     * whose task the executor accepts and then drops ({@code shutdownNow}) never completes, nor
     * do that session's later calls: shut the executor down after the transports.
     */
    public Builder rateLimiter(RateLimiter limiter, Executor continueOn) {
      this.limiter = limiter;
      this.continueOn = limiter == null ? null : Objects.requireNonNull(continueOn, "continueOn");
      return this;
    }

    /**
     * Applies {@code @Cached} with this cache; null (the default, e.g. caching configured off)
     * leaves it unapplied. The service must be built on {@link RecentMessages#wrap this cache's
     * store} for it to have any effect.
     */
    public Builder recentMessages(RecentMessages recent) {
      this.recent = recent;
      return this;
    }

    public ChatDecorator build() {
      return new ChatDecorator(this);
    }
  }

  /** What is applied to which method, e.g. {@code sendAsync(...) -> rate limited (SEND)}; for the log. */
  public Map<String, String> plan() {
    return plan;
  }

  /** Wraps {@code service} so the sessions it returns are decorated. */
  public ChatService decorate(ChatService service) {
    return new DecoratedChatService(Objects.requireNonNull(service, "service"), this);
  }

  /**
   * The decorated view of {@code session}: the same object for the same session (by identity)
   * for as long as it is in use, so the order of its limited calls is per session, not per
   * resume.
   */
  public Session decorate(Session session) {
    Objects.requireNonNull(session, "session");
    return decorated.get(session, this::newProxy);
  }

  private Session newProxy(Session session) {
    SessionHandler handler = new SessionHandler(session, handlers);
    Session proxy =
        (Session)
            Proxy.newProxyInstance(
                Session.class.getClassLoader(), new Class<?>[] {Session.class}, handler);
    handler.proxy = proxy;
    return proxy;
  }

  /** The {@link CachedReads} method a {@code @Cached} method is routed to. */
  private static Method cachedForm(Method m) {
    try {
      return CachedReads.class.getMethod(m.getName(), m.getParameterTypes());
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          "@Cached Session." + m.getName() + " has no form with the same signature in "
              + CachedReads.class.getName(), e);
    }
  }

  private static String prefix(RateLimited.Action action) {
    return action.name().toLowerCase(Locale.ROOT) + ":";
  }

  private static boolean returnsFuture(Method m) {
    return CompletionStage.class.isAssignableFrom(m.getReturnType());
  }

  private static String signature(Method m) {
    return m.getName() + "(" + m.getParameterCount() + " args)";
  }

  // ---- the proxy --------------------------------------------------------------------------------

  /** Dispatches a decorated session's calls through the table; Object methods by identity. */
  private static final class SessionHandler implements InvocationHandler {
    private final Session target;
    /** The target's cache-reading form, or null if it has none. */
    private final CachedReads cachedReads;
    private final Map<Method, Handler> handlers;
    /** Set once, right after the proxy is made, before it is handed out. */
    private Session proxy;
    /** Completes once the session's latest permit-waiting call has gone ahead; guarded by this. */
    private CompletableFuture<Void> lastStarted = STARTED;

    SessionHandler(Session target, Map<Method, Handler> handlers) {
      this.target = target;
      this.cachedReads =
          target instanceof CachedReads.Source source ? source.cachedReads() : null;
      this.handlers = handlers;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      Handler h = handlers.get(method);
      if (h != null) {
        return h.call(this, args);
      }
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        case "toString" -> "Decorated" + target;
        default -> throw new IllegalStateException("unexpected method " + method);
      };
    }

    /** Takes the next place in the session's call order: the previous call's start, and ours. */
    synchronized CompletableFuture<Void> queueBehind(CompletableFuture<Void> started) {
      CompletableFuture<Void> previous = lastStarted;
      lastStarted = started;
      return previous;
    }
  }

  private static final CompletableFuture<Void> STARTED = CompletableFuture.completedFuture(null);

  /** One step of a method's handling; the innermost reaches the session itself. */
  private interface Handler {
    Object call(SessionHandler session, Object[] args) throws Throwable;
  }

  private record Delegate(Method method) implements Handler {
    @Override
    public Object call(SessionHandler session, Object[] args) throws Throwable {
      try {
        return method.invoke(session.target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /** Runs the interface's default body on the proxy, so it calls the decorated methods. */
  private record DefaultBody(Method method) implements Handler {
    @Override
    public Object call(SessionHandler session, Object[] args) throws Throwable {
      return InvocationHandler.invokeDefault(session.proxy, method, args);
    }
  }

  /**
   * A {@code @Cached} method: runs {@code cachedForm} on the session's {@link CachedReads}, so the
   * cache may answer its reads; a session without one runs {@code next}.
   */
  private record CacheScope(Method cachedForm, Handler next) implements Handler {
    @Override
    public Object call(SessionHandler session, Object[] args) throws Throwable {
      CachedReads reads = session.cachedReads;
      if (reads == null) {
        return next.call(session, args);
      }
      try {
        return cachedForm.invoke(reads, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /** A limited method returning a plain value: waits for its permit on the calling thread. */
  private record Limit(RateLimiter limiter, String prefix, Handler next) implements Handler {
    @Override
    public Object call(SessionHandler session, Object[] args) throws Throwable {
      RateLimiter.Decision d = limiter.tryAcquire(prefix + session.target.user());
      if (!d.allowed()) {
        throw ChatException.rateLimited(d.retryAfter());
      }
      return next.call(session, args);
    }
  }

  /**
   * A limited method returning a future: returns at once; the call goes ahead once its permit
   * is in and every earlier such call of the session has gone ahead, so the service sees a
   * session's calls in the order they were made. When both are already so (a local limiter, no
   * earlier call waiting) it goes ahead on the calling thread; otherwise on {@code continueOn}.
   */
  private record LimitAsync(RateLimiter limiter, String prefix, Executor continueOn, Handler next)
      implements Handler {
    /** While a continueOn task runs calls: the calls they released, to run next in that task. */
    private static final ThreadLocal<ArrayDeque<Runnable>> READY = new ThreadLocal<>();

    @Override
    public Object call(SessionHandler session, Object[] args) {
      CompletableFuture<RateLimiter.Decision> permit;
      try {
        permit = limiter.acquireAsync(prefix + session.target.user());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(ChatException.wrap(e));
      }
      CompletableFuture<Void> started = new CompletableFuture<>();
      CompletableFuture<Void> previous = session.queueBehind(started);
      if (previous.isDone() && permit.isDone()) {
        return goAhead(session, args, permit, started);
      }
      CompletableFuture<Object> result = new CompletableFuture<>();
      Session keep = session.proxy; // keeps the memoised proxy, and so this order, while waiting
      CompletableFuture.allOf(previous, permit)
          .whenComplete(
              (ignored, e) -> {
                Reference.reachabilityFence(keep);
                Runnable step =
                    () ->
                        goAhead(session, args, permit, started)
                            .whenComplete(
                                (value, failure) -> {
                                  if (failure == null) {
                                    result.complete(value);
                                  } else {
                                    result.completeExceptionally(failure);
                                  }
                                });
                ArrayDeque<Runnable> ready = READY.get();
                if (ready != null) {
                  // The call before this one just started, on a continueOn thread: go on there.
                  ready.add(step);
                  return;
                }
                try {
                  continueOn.execute(() -> runSteps(step));
                } catch (RuntimeException rejected) {
                  // Shut down (RejectedExecutionException) or broken: fail this call, and let
                  // the session's next one try.
                  result.completeExceptionally(
                      ChatException.unavailable("The server is shutting down."));
                  started.complete(null);
                }
              });
      return result;
    }

    /**
     * Runs {@code first} and then every call it releases: when a session's call goes ahead and
     * the next one's permit is already in, the next one runs in this same task, as a loop rather
     * than nested, instead of going back through the executor's queue once per call.
     */
    private static void runSteps(Runnable first) {
      ArrayDeque<Runnable> ready = new ArrayDeque<>();
      READY.set(ready);
      try {
        for (Runnable step = first; step != null; step = ready.poll()) {
          step.run();
        }
      } finally {
        READY.remove();
      }
    }

    /** The call itself, or its refusal; either way the session's next call may go ahead. */
    private CompletionStage<?> goAhead(
        SessionHandler session,
        Object[] args,
        CompletableFuture<RateLimiter.Decision> permit,
        CompletableFuture<Void> started) {
      try {
        RateLimiter.Decision d = permit.join();
        if (!d.allowed()) {
          return CompletableFuture.failedFuture(ChatException.rateLimited(d.retryAfter()));
        }
        return (CompletionStage<?>) next.call(session, args);
      } catch (Throwable t) {
        return CompletableFuture.failedFuture(ChatException.wrap(t));
      } finally {
        started.complete(null);
      }
    }
  }

  // ---- the service --------------------------------------------------------------------------

  private static final class DecoratedChatService implements ChatService {
    private final ChatService service;
    private final ChatDecorator decorator;

    DecoratedChatService(ChatService service, ChatDecorator decorator) {
      this.service = service;
      this.decorator = decorator;
    }

    @Override
    public AuthMode authMode() {
      return service.authMode();
    }

    @Override
    public void createAccount(String user, String password) {
      service.createAccount(user, password);
    }

    @Override
    public Session login(String user, String password) {
      return decorator.decorate(service.login(user, password));
    }

    @Override
    public Session resume(String token) {
      return decorator.decorate(service.resume(token));
    }

    /** The service's per-client view, decorated the same way, so the address is kept. */
    @Override
    public ChatService forClient(java.net.InetAddress address) {
      ChatService view = service.forClient(address);
      return view == service ? this : new DecoratedChatService(view, decorator);
    }

    @Override
    public void close() {
      service.close();
    }

    @Override
    public String toString() {
      return "Decorated" + service;
    }
  }
}
