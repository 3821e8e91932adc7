package spartan.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.limit.FailoverRateLimiter;
import spartan.core.store.ChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * Whether this server should get traffic: it is accepting connections (not starting, not
 * shutting down), its store answers a read, and its Redis limiter, if one is configured, is
 * answering rather than the local fallback. {@code /ready} and the gRPC health service report
 * the same answer. A check costs one store read and, with Redis, one rate-limit call under a
 * key of its own; the server runs one every few seconds, so listeners (the transports) hear of a
 * change without anyone asking. Thread-safe; checks run one at a time.
 */
final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);
  /** The key the Redis probe spends permits under; no user's key can look like it. */
  static final String PROBE_KEY = "ready:";

  private final ChatStore store;
  private final FailoverRateLimiter redisLimiter;
  private final boolean sampleUndelivered;
  private final java.util.function.BooleanSupplier clusterSubscribed;
  private final List<Consumer<Boolean>> listeners = new ArrayList<>();
  private volatile boolean accepting;
  private volatile boolean lastReady;
  private volatile long undelivered = -1;

  /**
   * @param store the raw store (not the cache's wrapper)
   * @param redisLimiter the Redis limiter with its local fallback, or null without Redis
   * @param sampleUndelivered whether each check counts the undelivered inbox entries (for the
   *     metrics; a count over the inbox table), else it probes the store with a lookup
   */
  Readiness(ChatStore store, FailoverRateLimiter redisLimiter, boolean sampleUndelivered) {
    this(store, redisLimiter, sampleUndelivered, null);
  }

  /**
   * As above, with {@code clusterSubscribed} (null for a node alone) saying whether this node
   * listens on its cluster channel: a node that cannot hear the others is not ready.
   */
  Readiness(
      ChatStore store,
      FailoverRateLimiter redisLimiter,
      boolean sampleUndelivered,
      java.util.function.BooleanSupplier clusterSubscribed) {
    this.store = store;
    this.redisLimiter = redisLimiter;
    this.sampleUndelivered = sampleUndelivered;
    this.clusterSubscribed = clusterSubscribed;
  }

  /** The outcome of one check: ready or not, and each part's state in a few words. */
  record Report(boolean ready, Map<String, String> parts) {
    Report {
      parts = Map.copyOf(parts);
    }

    /** One line per part, then the verdict: what {@code /ready} answers. */
    String text() {
      StringBuilder sb = new StringBuilder();
      parts.entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
      return sb.append(ready ? "ready\n" : "not ready\n").toString();
    }
  }

  /**
   * Accepting connections or not (false before start-up ends and from shutdown on). Turning it
   * off tells the listeners at once, without probing the store or Redis, so a shutdown never
   * waits for a probe.
   */
  void accepting(boolean on) {
    accepting = on;
    if (on) {
      check();
    } else {
      publish(false, Map.of("transports", "not accepting"));
    }
  }

  /** Called with the new answer whenever a check's answer differs from the one before. */
  synchronized void onChange(Consumer<Boolean> listener) {
    listeners.add(listener);
  }

  /** Runs every check now. */
  synchronized Report check() {
    Map<String, String> parts = new LinkedHashMap<>();
    boolean ready = accepting;
    parts.put("transports", accepting ? "accepting" : "not accepting");
    try {
      if (sampleUndelivered && store instanceof SqliteChatStore sqlite) {
        undelivered = sqlite.undeliveredCount();
      } else {
        store.findAccount("ready-probe");
      }
      parts.put("store", "ok");
    } catch (RuntimeException e) {
      ready = false;
      parts.put("store", "unavailable: " + e.getMessage());
    }
    if (redisLimiter != null) {
      // Through the limiter itself: a failed call opens its breaker, a later one closes it, so
      // this reads the state real traffic sees.
      redisLimiter.tryAcquire(PROBE_KEY);
      if (redisLimiter.isFallingBack()) {
        ready = false;
        parts.put("redis", "unreachable (rate limits are this node's only)");
      } else {
        parts.put("redis", "ok");
      }
    }
    if (clusterSubscribed != null) {
      if (clusterSubscribed.getAsBoolean()) {
        parts.put("cluster", "subscribed");
      } else {
        ready = false;
        parts.put("cluster", "not subscribed (other nodes' messages would not be pushed here)");
      }
    }
    publish(ready, parts);
    return new Report(ready, parts);
  }

  private synchronized void publish(boolean ready, Map<String, String> parts) {
    if (ready != lastReady) {
      lastReady = ready;
      log.info("Readiness: {}", ready ? "ready" : "not ready (" + parts + ")");
      for (Consumer<Boolean> l : listeners) {
        l.accept(ready);
      }
    }
  }

  /** The last check's answer, without checking. */
  boolean lastReady() {
    return lastReady;
  }

  /** Inbox entries not yet acknowledged, as of the last check; -1 if the store cannot say. */
  double undelivered() {
    return undelivered;
  }
}
