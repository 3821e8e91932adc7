package spartan.core.store.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisURIHelper;
import spartan.core.ChatException;
import spartan.core.spi.Tls;

/**
 * Builds a {@link RedisChatStore} from {@code store.redis}: {@code redis://[[user]:password@]
 * host:port[/db]} or {@code rediss://…} for TLS (checked against {@link #ca} if given, else the
 * JDK's trust store, with the host name verified). Whether the server is one Redis or a node of a
 * Redis Cluster is asked of the server at {@link #build}, so one URL serves both. Setters
 * validate at once with messages that name the setting. Not thread-safe; build once.
 */
public final class RedisChatStoreBuilder {
  private URI url;
  private String description;
  private X509TrustManager ca;
  private Duration timeout = Duration.ofSeconds(2);
  private int threads = 4;
  private ScheduledExecutorService executor;
  private Clock clock = Clock.systemUTC();
  private Duration sweepEvery = Duration.ofSeconds(10);
  private Duration sweepGrace = Duration.ofSeconds(30);
  private int maxQueued = 65_536;
  private long maxQueuedBytes = 64L << 20;

  RedisChatStoreBuilder() {}

  /** The Redis to use ({@code store.redis}); required. */
  public RedisChatStoreBuilder url(String url) {
    URI uri;
    try {
      uri = new URI(Objects.requireNonNull(url, "store.redis"));
    } catch (URISyntaxException e) {
      throw bad(url);
    }
    if (!JedisURIHelper.isValid(uri)
        || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))) {
      throw bad(url);
    }
    this.url = uri;
    this.description = uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    return this;
  }

  private static IllegalArgumentException bad(String url) {
    // never echo the URL: it may hold a password
    return new IllegalArgumentException(
        "store.redis must be a URL like redis://host:6379 (or rediss:// for TLS)");
  }

  /** The certificates to trust for a {@code rediss://} Redis. */
  public RedisChatStoreBuilder ca(X509TrustManager trust) {
    this.ca = Objects.requireNonNull(trust, "store.redisCa");
    return this;
  }

  /** Connect and socket timeout; default 2 s. */
  public RedisChatStoreBuilder timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "store.redisTimeout");
    if (timeout.toMillis() < 1 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("store.redisTimeout must be 1 ms to 60 s, was " + timeout);
    }
    this.timeout = timeout;
    return this;
  }

  /** Threads of the store's own executor (and Redis connections); default 4. */
  public RedisChatStoreBuilder threads(int threads) {
    if (threads < 1 || threads > 256) {
      throw new IllegalArgumentException("store.redisThreads must be 1 to 256, was " + threads);
    }
    this.threads = threads;
    return this;
  }

  /** Runs appends and sweeps on {@code executor}, which the store then does not shut down. */
  public RedisChatStoreBuilder executor(ScheduledExecutorService executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  /** The clock of the fan-out index; tests pass a fixed one. */
  public RedisChatStoreBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * How often the store looks for fan-outs left unfinished (default 10 s), and how old such a
   * fan-out must be before it is taken over (default 30 s: well past any live node's send).
   */
  public RedisChatStoreBuilder sweep(Duration every, Duration grace) {
    Objects.requireNonNull(every, "every");
    Objects.requireNonNull(grace, "grace");
    if (every.toMillis() < 1 || grace.isNegative()) {
      throw new IllegalArgumentException(
          "the sweep interval must be positive and its grace not negative");
    }
    this.sweepEvery = every;
    this.sweepGrace = grace;
    return this;
  }

  /** Most appends waiting for Redis before {@code append} refuses more; default 65,536. */
  public RedisChatStoreBuilder maxQueued(int maxQueued) {
    if (maxQueued < 1) {
      throw new IllegalArgumentException("maxQueued must be positive, was " + maxQueued);
    }
    this.maxQueued = maxQueued;
    return this;
  }

  /**
   * Most heap, in bytes (estimated from bodies and recipient lists), that appends accepted and
   * not yet completed may hold before {@code append} refuses more; default 64 MiB. Without it a
   * slow Redis lets {@link #maxQueued} appends of the largest envelope pile up.
   */
  public RedisChatStoreBuilder maxQueuedBytes(long maxQueuedBytes) {
    if (maxQueuedBytes < 1) {
      throw new IllegalArgumentException("maxQueuedBytes must be positive, was " + maxQueuedBytes);
    }
    this.maxQueuedBytes = maxQueuedBytes;
    return this;
  }

  /**
   * Connects and opens the store; {@code UNAVAILABLE} if Redis cannot be reached now. Finishes,
   * in the background, fan-outs an earlier node left unfinished.
   */
  public RedisChatStore build() {
    if (url == null) {
      throw new IllegalArgumentException("store.redis is required for store type redis");
    }
    DefaultJedisClientConfig config = clientConfig();
    HostAndPort node = new HostAndPort(url.getHost(), url.getPort());
    boolean cluster;
    try (Jedis probe = new Jedis(node, config)) {
      cluster = probe.info("cluster").contains("cluster_enabled:1");
    } catch (JedisException e) {
      throw ChatException.unavailable("Cannot reach Redis at " + description + ": " + e.getMessage());
    }
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(threads * 2 + 2);
    pool.setMaxIdle(threads * 2 + 2);
    pool.setMinIdle(0);
    pool.setMaxWait(timeout);
    pool.setTestOnBorrow(false);
    pool.setJmxEnabled(false);
    UnifiedJedis redis =
        cluster
            ? RedisClusterClient.builder()
                .nodes(Set.of(node))
                .clientConfig(config)
                .poolConfig(pool)
                .maxTotalRetriesDuration(timeout.multipliedBy(2))
                .build()
            : RedisClient.builder().hostAndPort(node).clientConfig(config).poolConfig(pool).build();
    boolean owns = executor == null;
    ScheduledExecutorService ex = owns ? ownExecutor() : executor;
    return new RedisChatStore(
        redis, description + (cluster ? " (cluster)" : ""), ex, owns, clock, sweepEvery,
        sweepGrace, maxQueued, maxQueuedBytes);
  }

  private ScheduledExecutorService ownExecutor() {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor ex =
        new ScheduledThreadPoolExecutor(
            threads,
            r -> {
              Thread t = new Thread(r, "redis-store-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    ex.setRemoveOnCancelPolicy(true);
    return ex;
  }

  private DefaultJedisClientConfig clientConfig() {
    int millis = (int) timeout.toMillis();
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis)
            .ssl(JedisURIHelper.isRedisSSLScheme(url))
            .clientName("spartan-store")
            .protocol(RedisProtocol.RESP2); // the store reads RESP2 replies
    if (JedisURIHelper.isRedisSSLScheme(url)) {
      SSLParameters params = new SSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      params.setProtocols(Tls.PROTOCOLS.toArray(new String[0]));
      config.sslParameters(params);
      if (ca != null) {
        try {
          SSLContext ctx = SSLContext.getInstance("TLS");
          ctx.init(null, new TrustManager[] {ca}, null);
          config.sslSocketFactory(ctx.getSocketFactory());
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("the JDK cannot make a TLS context", e);
        }
      }
    }
    if (JedisURIHelper.getPassword(url) != null) {
      config.user(JedisURIHelper.getUser(url)).password(JedisURIHelper.getPassword(url));
    }
    if (JedisURIHelper.hasDbIndex(url)) {
      config.database(JedisURIHelper.getDBIndex(url));
    }
    return config.build();
  }
}
