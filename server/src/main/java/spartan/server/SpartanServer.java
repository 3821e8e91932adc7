package spartan.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.auth.AuthThrottle;
import spartan.core.cache.RecentMessages;
import spartan.core.cluster.RedisNodeBus;
import spartan.core.decorate.ChatDecorator;
import spartan.core.limit.FailoverRateLimiter;
import spartan.core.limit.RateLimit;
import spartan.core.limit.RateLimiter;
import spartan.core.service.LocalChatService;
import spartan.core.service.ServerThreads;
import spartan.core.spi.ChatMetrics;
import spartan.core.spi.ConnectionGate;
import spartan.core.spi.NodeBus;
import spartan.core.spi.Tls;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.store.redis.RedisChatStoreBuilder;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.tls.PemFiles;
import spartan.core.tls.ReloadingKeyManager;
import spartan.core.tls.TlsFileException;

/**
 * A running Spartan server: the store, the core service and the configured transports, wired
 * from a {@link ServerConfig}. {@link #close()} shuts down in reverse order — readiness turns
 * false, transports stop taking calls and let in-flight ones finish (sends are answered once
 * stored; event streams end with a reason), then sessions end, then the store flushes.
 */
public final class SpartanServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpartanServer.class);
  /** How often the certificate and key files are checked for a renewal. */
  static final Duration TLS_RELOAD_INTERVAL = Duration.ofSeconds(30);

  private final ServerConfig config;
  private final ExecutorService blocking;
  private final ExecutorService delivery;
  private final ExecutorService storeWriter;
  private final ChatStore store;
  private final RecentMessages recent;
  private final RateLimiter limiter;
  private final LocalChatService core;
  private final RedisNodeBus bus; // null for a node alone
  private final ScheduledExecutorService clusterScheduler; // null for a node alone
  private final ChatService service;
  private final Map<String, TransportServer> servers = new LinkedHashMap<>();
  /** Null when the admin port is off. */
  private final ServerMetrics metrics;
  private final Readiness readiness;
  private final ScheduledExecutorService readinessChecks;
  private AdminServer admin;
  private final ReloadingKeyManager tlsKeys; // null without TLS
  private final ScheduledExecutorService tlsReloads; // null without TLS
  private boolean closed;

  private SpartanServer(ServerConfig config) {
    this.config = config;
    if (config.tls()) {
      try {
        this.tlsKeys =
            ReloadingKeyManager.load(config.tlsCert(), config.tlsKey(), "tls.cert", "tls.key");
      } catch (TlsFileException e) {
        throw new ConfigException(e.getMessage());
      }
      // Renewed files (certbot, an operator's copy) are picked up without a restart.
      this.tlsReloads = Executors.newSingleThreadScheduledExecutor(named("spartan-tls-reload"));
      tlsReloads.scheduleWithFixedDelay(
          tlsKeys::reloadIfChanged,
          TLS_RELOAD_INTERVAL.toSeconds(),
          TLS_RELOAD_INTERVAL.toSeconds(),
          TimeUnit.SECONDS);
      log.info(
          "TLS on every transport with {} (certificate files re-read every {} s)",
          tlsKeys.certificate().getSubjectX500Principal().getName(),
          TLS_RELOAD_INTERVAL.toSeconds());
    } else {
      this.tlsKeys = null;
      this.tlsReloads = null;
      warnIfPlainTextBeyondLoopback(config.host());
    }
    this.blocking = Executors.newFixedThreadPool(ServerThreads.blocking(), named("spartan-call"));
    this.delivery =
        Executors.newFixedThreadPool(ServerThreads.delivery(), named("spartan-delivery"));
    this.storeWriter = Executors.newSingleThreadExecutor(named("spartan-store-writer"));
    this.metrics = config.metricsEnabled() ? new ServerMetrics(Clock.systemUTC()) : null;
    this.store = openStore(config, storeWriter, delivery);
    if (metrics != null && store instanceof SqliteChatStore sqlite) {
      sqlite.reportTo(metrics);
    }
    // A node's cache sees only its own sends: with a store that several nodes share it would
    // serve history without the other nodes' messages.
    boolean shared = config.storeType() == ServerConfig.StoreType.REDIS;
    if (shared) {
      log.info("Recent-message cache: off (the redis store is shared with other nodes)");
    }
    this.recent =
        !shared && config.cacheMessagesPerConversation() > 0 && config.cacheConversations() > 0
            ? RecentMessages.builder()
                .perConversation(config.cacheMessagesPerConversation())
                .conversations(config.cacheConversations())
                .maxBytes(config.cacheMaxBytes())
                .build()
            : null;
    ServerConfig.Cluster cluster = config.cluster();
    if (cluster.enabled()) {
      this.clusterScheduler =
          Executors.newScheduledThreadPool(2, named("spartan-cluster"));
      javax.net.ssl.X509TrustManager busCa = null;
      if (config.rateRedisCa() != null && cluster.redis().startsWith("rediss://")) {
        try {
          busCa = PemFiles.trustManager(config.rateRedisCa(), "rateLimit.redisCa");
        } catch (TlsFileException e) {
          throw new ConfigException(e.getMessage());
        }
      }
      RedisNodeBus.Builder busBuilder;
      try {
        busBuilder = RedisNodeBus.builder().redis(cluster.redis(), CLUSTER_REDIS_TIMEOUT, busCa);
      } catch (ChatException e) {
        throw new ConfigException("cluster.redis: " + e.getMessage());
      }
      this.bus =
          busBuilder
              .nodeId(cluster.nodeId())
              .heartbeat(cluster.heartbeat())
              .deadAfter(cluster.deadAfter())
              .checkEvery(cluster.checkEvery())
              // the store's inserts read presence where the bus keeps it only on the same Redis
              .presenceFromStore(cluster.redis().equals(config.storeRedis()))
              .scheduler(clusterScheduler)
              .threads(named("spartan-cluster-sub"))
              .metrics(metrics == null ? ChatMetrics.NONE : metrics)
              .build();
    } else {
      this.clusterScheduler = null;
      this.bus = null;
    }
    this.core =
        buildCore(
            config,
            recent == null ? store : recent.wrap(store),
            delivery,
            metrics == null ? ChatMetrics.NONE : metrics,
            bus == null ? NodeBus.SINGLE : bus);
    var limits = RateLimiter.builder().perSecond(config.ratePerSecond()).burst(config.rateBurst());
    if (config.rateRedis() != null) {
      limits.redis(config.rateRedis());
    }
    if (config.rateRedisCa() != null) {
      try {
        limits.redisCa(PemFiles.trustManager(config.rateRedisCa(), "rateLimit.redisCa"));
      } catch (TlsFileException e) {
        throw new ConfigException(e.getMessage());
      }
    }
    this.limiter = limits.build();
    FailoverRateLimiter redisLimiter =
        limiter instanceof FailoverRateLimiter f ? f : null;
    this.readiness =
        new Readiness(
            store, redisLimiter, metrics != null, bus == null ? null : bus::isSubscribed);
    this.readinessChecks =
        Executors.newSingleThreadScheduledExecutor(named("spartan-readiness"));
    // The annotations on Session (@RateLimited, @Cached) say what this applies, and where.
    ChatDecorator decorator =
        ChatDecorator.builder()
            .rateLimiter(metrics == null ? limiter : new MeteredRateLimiter(limiter, metrics),
                blocking)
            .recentMessages(recent)
            .build();
    decorator.plan().forEach((method, what) -> log.info("{}: {}", method, what));
    this.service = decorator.decorate(core);
    log.info(
        "Rate limit: {}/s per user, burst {}, {}",
        config.ratePerSecond(),
        config.rateBurst(),
        config.rateRedis() == null
            ? "this node only"
            // Host and port only: the URL may carry a password.
            : "shared through " + java.net.URI.create(config.rateRedis()).getScheme() + "://"
                + java.net.URI.create(config.rateRedis()).getHost()
                + ":" + java.net.URI.create(config.rateRedis()).getPort());
  }

  /** Opens the store, starts the service and every configured transport. */
  public static SpartanServer start(ServerConfig config) throws IOException {
    SpartanServer s = new SpartanServer(config);
    try {
      if (s.bus != null) {
        // Subscribed before any client connects, so no message for a client here goes unheard.
        s.bus.start(CLUSTER_SUBSCRIBE_TIMEOUT);
        log.info("Cluster: node {} on {}", s.bus.nodeId(), hostAndPort(config.cluster().redis()));
      }
      s.seedDemoUsers();
      // One gate for every transport: the caps are the server's, not each wire's.
      ConnectionGate gate =
          new ConnectionGate(config.maxConnections(), config.maxConnectionsPerAddress());
      for (String name : config.transports()) {
        TransportProvider provider;
        try {
          provider = TransportProvider.named(name);
        } catch (IllegalArgumentException e) {
          throw new ConfigException("transports: " + e.getMessage());
        }
        TransportOptions options =
            TransportOptions.of(config.host(), config.portOf(name), s.blocking)
                .withMaxFrameBytes(config.maxFrameBytes())
                .withLoginTimeout(config.loginTimeout())
                .withKeepAlive(config.keepAlive())
                .withConnections(gate)
                .withTls(s.tlsKeys == null ? null : new Tls.Server(s.tlsKeys));
        s.servers.put(name, provider.serve(s.service, options));
      }
      s.startOperations();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** Connect and read timeout of the cluster bus's Redis commands. */
  static final Duration CLUSTER_REDIS_TIMEOUT = Duration.ofSeconds(2);
  /** How long start-up waits for the cluster subscription before it fails. */
  static final Duration CLUSTER_SUBSCRIBE_TIMEOUT = Duration.ofSeconds(10);

  /** Host and port only: a URL may carry a password. */
  private static String hostAndPort(String url) {
    java.net.URI u = java.net.URI.create(url);
    return u.getScheme() + "://" + u.getHost() + ":" + u.getPort();
  }

  private static LocalChatService buildCore(
      ServerConfig config,
      ChatStore store,
      ExecutorService delivery,
      ChatMetrics metrics,
      NodeBus bus) {
    ServerConfig.AuthLimits a = config.authLimits();
    try {
      return LocalChatService.builder()
          .store(store)
          .deliveryExecutor(delivery)
          .authMode(config.auth())
          .limits(config.limits())
          .metrics(metrics)
          .nodeBus(bus)
          .recipientsPerSecond(recipientsBudget(config))
          .authThrottle(
              AuthThrottle.builder()
                  .freeFailuresPerName(a.loginFailuresPerName())
                  .freeFailuresPerAddress(a.loginFailuresPerAddress())
                  .maxBackoff(a.maxLoginBackoff())
                  .signUpsPerAddressPerHour(a.signUpsPerAddressPerHour())
                  .build())
          .build();
    } catch (IllegalStateException e) {
      // The auth mode does not fit the data (open mode over password accounts).
      store.close();
      throw new ConfigException(e.getMessage());
    }
  }

  /**
   * Readiness (pushed to the transports, gRPC's health service among them) and, when configured,
   * the metrics and the admin port. A check every few seconds keeps readiness current without a
   * probe asking, and samples the inbox depth.
   */
  private void startOperations() throws IOException {
    readiness.onChange(ready -> servers.values().forEach(t -> t.serving(ready)));
    readiness.accepting(true);
    readinessChecks.scheduleWithFixedDelay(
        this::checkReadiness, READINESS_PERIOD_SECONDS, READINESS_PERIOD_SECONDS,
        TimeUnit.SECONDS);
    if (metrics != null) {
      servers.forEach(metrics::connections);
      metrics.sessions(core);
      metrics.undelivered(readiness);
      metrics.ready(readiness);
      metrics.limiterBackend(
          limiter instanceof FailoverRateLimiter f ? () -> !f.isFallingBack() : () -> false);
      if (recent != null) {
        metrics.cache(recent);
      }
      admin =
          AdminServer.start(
              config.metricsHost(), config.metricsPort(), metrics::scrape, readiness::check);
    }
  }

  /** Seconds between the background readiness checks. */
  static final long READINESS_PERIOD_SECONDS = 5;

  private void checkReadiness() {
    try {
      readiness.check();
    } catch (RuntimeException e) {
      log.warn("readiness check failed", e);
    }
  }

  /**
   * The fan-out budget: {@code rateLimit.recipientsPerSecond} recipients a second, with a burst
   * that always admits one message to a full group; null (no budget) when set to 0.
   */
  private static RateLimit recipientsBudget(ServerConfig config) {
    int perSecond = config.recipientsPerSecond();
    if (perSecond == 0) {
      return null;
    }
    return new RateLimit(perSecond, Math.max(perSecond, config.limits().maxGroupMembers() - 1));
  }

  /** Plain text off this machine carries passwords and session tokens readable on the way. */
  static void warnIfPlainTextBeyondLoopback(String host) {
    boolean loopback;
    try {
      loopback = InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      log.warn(
          "NO TLS ON A NETWORK ADDRESS ({}): passwords, session tokens and who talks to whom"
              + " cross the network in plain text. Set tls.cert and tls.key in config.yaml"
              + " (or --tls-cert/--tls-key; './spartan certs' makes a private CA to try it).",
          host);
    }
  }

  private static ChatStore openStore(
      ServerConfig config, ExecutorService writer, ExecutorService callbacks) {
    switch (config.storeType()) {
      case MEMORY:
        log.info("Store: memory (nothing survives a restart)");
        return new MemoryChatStore();
      case EMBEDDED:
        // The store creates the directory itself, private to this user.
        log.info("Store: embedded in {}", config.dataDir());
        log.info("Store durability: store.sync {}", config.storeSync().name().toLowerCase(
            java.util.Locale.ROOT));
        // Append futures complete on the delivery pool, so the writer thread only writes.
        return SqliteChatStore.open(config.dataDir(), writer, config.storeSync(), callbacks);
      case REDIS:
        URI url = URI.create(config.storeRedis());
        // Host and port only: the URL may carry a password.
        log.info("Store: redis at {}://{}:{}", url.getScheme(), url.getHost(), url.getPort());
        RedisChatStoreBuilder redis = RedisChatStore.builder().url(config.storeRedis());
        if (config.rateRedisCa() != null && config.storeRedis().startsWith("rediss://")) {
          try {
            redis.ca(PemFiles.trustManager(config.rateRedisCa(), "rateLimit.redisCa"));
          } catch (TlsFileException e) {
            throw new ConfigException(e.getMessage());
          }
        }
        try {
          return redis.build();
        } catch (ChatException e) {
          throw new ConfigException("store.redis: " + e.getMessage());
        }
      default:
        throw new ConfigException("store.type " + config.storeType() + " is not available");
    }
  }

  private void seedDemoUsers() {
    if (config.auth() == AuthMode.OPEN) {
      log.warn(
          "AUTH MODE IS OPEN: anyone can log in as any user without a password. Use"
              + " 'auth: password' in config.yaml (or --auth password) for anything but a demo.");
      if (config.insecureOpenAuthOnNetwork()) {
        log.warn(
            "insecureOpenAuthOnNetwork is set: open mode on {}, reachable from the network.",
            config.host());
      }
      List<String> created = new ArrayList<>();
      for (String user : config.demoUsers()) {
        try {
          core.createAccount(user, null);
          created.add(user);
        } catch (ChatException e) {
          if (e.code() != ErrorCode.ALREADY_EXISTS) {
            throw e;
          }
        }
      }
      if (!created.isEmpty()) {
        // Another node sharing the store may have created the rest.
        log.info("Created {} demo users: {}", created.size(), String.join(",", created));
      }
    } else if (!config.demoUsers().isEmpty()) {
      log.info("Password mode: demo users are not created; users create their own accounts.");
    }
  }

  /** The bound port of each running transport, by name. */
  public Map<String, Integer> ports() {
    Map<String, Integer> out = new LinkedHashMap<>();
    servers.forEach((name, server) -> out.put(name, server.port()));
    return out;
  }

  /** The admin HTTP port, or -1 when it is off. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The in-process service (for tests and tools in the same JVM). */
  public LocalChatService core() {
    return core;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Not ready first, so load balancers and gRPC health checks stop sending new clients.
    readiness.accepting(false);
    readinessChecks.shutdownNow();
    List<String> names = new ArrayList<>(servers.keySet());
    java.util.Collections.reverse(names);
    for (String name : names) {
      try {
        servers.get(name).close();
      } catch (RuntimeException e) {
        log.warn("closing the {} transport failed", name, e);
      }
    }
    core.close();
    if (bus != null) {
      bus.close();
      clusterScheduler.shutdownNow();
    }
    if (tlsReloads != null) {
      tlsReloads.shutdownNow();
    }
    shutdown(blocking);
    shutdown(delivery);
    limiter.close();
    if (recent != null) {
      log.info("{}", recent.stats());
    }
    store.close();
    shutdown(storeWriter);
    // Last, so /health answers while the transports drain.
    if (admin != null) {
      admin.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    log.info("Spartan server stopped.");
  }

  /** The TLS key manager, so tests can trigger a reload; null without TLS. */
  ReloadingKeyManager tlsKeys() {
    return tlsKeys;
  }

  private static void shutdown(ExecutorService e) {
    e.shutdown();
    try {
      if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
        e.shutdownNow();
      }
    } catch (InterruptedException ie) {
      e.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
