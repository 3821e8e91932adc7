package spartan.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import spartan.core.cache.RecentMessages;
import spartan.core.service.LocalChatService;
import spartan.core.spi.ChatMetrics;
import spartan.core.spi.TransportServer;

/**
 * The server's figures, kept by Micrometer and read in Prometheus's text format at {@code
 * /metrics}. The core reports events through {@link ChatMetrics}; state the server already holds
 * (connections, sessions, cache, limiter, inbox depth) is read by gauges when scraped. Meter names
 * are Micrometer's dotted ones; the Prometheus registry renders them with units and {@code
 * _total} ({@code spartan.logins} becomes {@code spartan_logins_total}). Thread-safe.
 */
final class ServerMetrics implements ChatMetrics, AutoCloseable {
  /** Delivery and commit buckets, in seconds: from a local push to a badly stuck one. */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Clock clock;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Counter loginsOk;
  private final Counter loginsFailed;
  private final Counter storedDirect;
  private final Counter storedGroup;
  private final Counter deliveredLive;
  private final Counter deliveredBacklog;
  private final Timer deliveryLag;
  private final Timer commitTime;
  private final DistributionSummary commitBatch;
  private final Counter rateLimited;
  private final Counter notesPublished;
  private final Counter notesReceived;
  private final Counter notesRejected;
  private final Counter resyncs;

  ServerMetrics(Clock clock) {
    this.clock = clock;
    notesPublished = Counter.builder("spartan.cluster.notifications").tag("way", "published")
        .description("Notifications between nodes (several nodes on one Redis)")
        .register(registry);
    notesReceived = Counter.builder("spartan.cluster.notifications").tag("way", "received")
        .description("Notifications between nodes (several nodes on one Redis)")
        .register(registry);
    notesRejected = Counter.builder("spartan.cluster.notifications").tag("way", "rejected")
        .description("Notifications between nodes (several nodes on one Redis)")
        .register(registry);
    resyncs = Counter.builder("spartan.cluster.resyncs")
        .description("Times this node re-read every live stream because news may have been"
            + " missed (lost subscription, dropped publish, data reset)")
        .register(registry);
    loginsOk = Counter.builder("spartan.logins").tag("result", "ok")
        .description("Logins, by result").register(registry);
    loginsFailed = Counter.builder("spartan.logins").tag("result", "failed")
        .description("Logins, by result").register(registry);
    storedDirect = Counter.builder("spartan.messages.stored").tag("kind", "direct")
        .description("Messages stored (resends of a stored message not counted)")
        .register(registry);
    storedGroup = Counter.builder("spartan.messages.stored").tag("kind", "group")
        .description("Messages stored (resends of a stored message not counted)")
        .register(registry);
    deliveredLive = Counter.builder("spartan.messages.delivered").tag("path", "live")
        .description("Messages pushed to live event streams; backlog: stored while the"
            + " recipient was away")
        .register(registry);
    deliveredBacklog = Counter.builder("spartan.messages.delivered").tag("path", "backlog")
        .description("Messages pushed to live event streams; backlog: stored while the"
            + " recipient was away")
        .register(registry);
    deliveryLag = Timer.builder("spartan.delivery.lag")
        .description("From the server taking a message in to pushing it to a recipient's live"
            + " stream (backlog not included)")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
    commitTime = Timer.builder("spartan.store.commit")
        .description("Duration of one store commit (one batch of writes)")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
    commitBatch = DistributionSummary.builder("spartan.store.commit.batch.size")
        .description("Writes carried by one store commit")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
        .register(registry);
    rateLimited = Counter.builder("spartan.rate.limited")
        .description("Calls refused by the per-user rate limit").register(registry);
    new JvmMemoryMetrics().bindTo(registry); // heap, non-heap, and direct/mapped buffer pools
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  // ---- events from the core ---------------------------------------------------------------------

  @Override
  public void notificationsPublished(int notes) {
    notesPublished.increment(notes);
  }

  @Override
  public void notificationsReceived(int notes) {
    notesReceived.increment(notes);
  }

  @Override
  public void notificationRejected() {
    notesRejected.increment();
  }

  @Override
  public void nodeResynced() {
    resyncs.increment();
  }

  @Override
  public void loginSucceeded() {
    loginsOk.increment();
  }

  @Override
  public void loginFailed() {
    loginsFailed.increment();
  }

  @Override
  public void messageStored(boolean group, int recipients) {
    (group ? storedGroup : storedDirect).increment();
  }

  @Override
  public void messageDelivered(Instant sentAt, boolean backlog) {
    if (backlog) {
      deliveredBacklog.increment();
    } else {
      deliveredLive.increment();
      deliveryLag.record(Duration.between(sentAt, clock.instant()));
    }
  }

  @Override
  public void storeCommitted(int writes, long nanos) {
    commitTime.record(nanos, TimeUnit.NANOSECONDS);
    commitBatch.record(writes);
  }

  /** A call refused by the rate limiter (counted by {@link MeteredRateLimiter}). */
  void rateLimited() {
    rateLimited.increment();
  }

  // ---- state read when scraped ------------------------------------------------------------------

  void connections(String transport, TransportServer server) {
    Gauge.builder("spartan.connections", server, TransportServer::openConnections)
        .tag("transport", transport)
        .description("Connections open, by transport")
        .register(registry);
    if (server.directMemoryUsed() >= 0) {
      Gauge.builder("spartan.netty.direct.memory.used", server, TransportServer::directMemoryUsed)
          .tag("transport", transport)
          .baseUnit("bytes")
          .description("Direct memory held by the transport's Netty (outside jvm_buffer_*)")
          .register(registry);
    }
  }

  void sessions(LocalChatService core) {
    Gauge.builder("spartan.sessions", core, LocalChatService::sessionCount)
        .description("Logged-in sessions on this node, whatever the transport")
        .register(registry);
  }

  void undelivered(Readiness readiness) {
    Gauge.builder("spartan.inbox.undelivered", readiness, Readiness::undelivered)
        .description("Inbox entries not yet acknowledged, over all users (sampled every few"
            + " seconds)")
        .register(registry);
  }

  void ready(Readiness readiness) {
    Gauge.builder("spartan.ready", readiness, r -> r.lastReady() ? 1 : 0)
        .description("1 while the server is ready for traffic (what /ready answers)")
        .register(registry);
  }

  /** {@code spartan_rate_limiter_backend{backend}}: 1 for the backend answering checks now. */
  void limiterBackend(BooleanSupplier usingRedis) {
    Gauge.builder("spartan.rate.limiter.backend", () -> usingRedis.getAsBoolean() ? 1 : 0)
        .tag("backend", "redis")
        .description("Which limiter answers rate-limit checks now: redis, or local (this node"
            + " only, while Redis is unreachable or not configured)")
        .register(registry);
    Gauge.builder("spartan.rate.limiter.backend", () -> usingRedis.getAsBoolean() ? 0 : 1)
        .tag("backend", "local")
        .description("Which limiter answers rate-limit checks now: redis, or local (this node"
            + " only, while Redis is unreachable or not configured)")
        .register(registry);
  }

  /** Micrometer's usual cache meters ({@code cache_gets_total{result}}…) for the recent cache. */
  void cache(RecentMessages recent) {
    String cache = "recent_messages";
    FunctionCounter.builder("cache.gets", recent, r -> r.stats().hits())
        .tags("cache", cache, "result", "hit")
        .description("History calls answered from the recent-message cache (hit) or the store")
        .register(registry);
    FunctionCounter.builder("cache.gets", recent, r -> r.stats().misses())
        .tags("cache", cache, "result", "miss")
        .description("History calls answered from the recent-message cache (hit) or the store")
        .register(registry);
    FunctionCounter.builder("cache.evictions", recent, r -> r.stats().evictions())
        .tag("cache", cache)
        .description("Conversations dropped from the cache to stay within its size")
        .register(registry);
    Gauge.builder("cache.size", recent, r -> r.stats().conversations())
        .tag("cache", cache)
        .description("Conversations held in the cache")
        .register(registry);
  }

  /** Everything, in Prometheus's text exposition format. */
  String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
