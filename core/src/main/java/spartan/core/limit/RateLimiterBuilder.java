package spartan.core.limit;

import com.github.benmanes.caffeine.cache.Ticker;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.JedisURIHelper;
import spartan.core.spi.Tls;

/**
 * Builds the limiter the configuration asks for: {@code rateLimit: {perSecond, burst, redis}}.
 * Without a Redis URL it is a {@link LocalRateLimiter}; with one, a {@link FailoverRateLimiter}
 * over a {@link RedisRateLimiter} and a local fallback. Every setter validates at once and
 * throws {@link IllegalArgumentException} naming the setting, so bad configuration stops
 * start-up. Building does not need Redis (Jedis tries one connection and shrugs off a failure):
 * an unreachable Redis at start-up is a fallback, logged, like one that goes away later.
 *
 * <p>Not thread-safe; use it once at start-up.
 */
public final class RateLimiterBuilder {
  private int perSecond = RateLimit.DEFAULT.perSecond();
  private Integer burst;
  private URI redis;
  private String redisDescription;
  private Duration redisTimeout = Duration.ofMillis(200);
  private Duration redisRetryInterval = Duration.ofSeconds(1);
  private Ticker ticker = Ticker.systemTicker();
  private X509TrustManager redisTrust;

  RateLimiterBuilder() {}

  /** Sustained calls per second per user ({@code rateLimit.perSecond}); default 15. */
  public RateLimiterBuilder perSecond(int perSecond) {
    new RateLimit(perSecond, 1); // validates, naming the setting
    this.perSecond = perSecond;
    return this;
  }

  /** Calls allowed at once after idling ({@code rateLimit.burst}); default equals perSecond. */
  public RateLimiterBuilder burst(int burst) {
    new RateLimit(1, burst);
    this.burst = burst;
    return this;
  }

  /**
   * Shares the limit across nodes through Redis ({@code rateLimit.redis} or {@code --redis}):
   * {@code redis://[[user]:password@]host:port[/db]} or {@code rediss://…} for TLS. Null or
   * blank means local only.
   */
  public RateLimiterBuilder redis(String url) {
    if (url == null || url.isBlank()) {
      this.redis = null;
      return this;
    }
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw badRedis(url);
    }
    if (!JedisURIHelper.isValid(uri)
        || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
        || uri.getPort() < 1) {
      throw badRedis(url);
    }
    this.redis = uri;
    this.redisDescription = uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    return this;
  }

  private static IllegalArgumentException badRedis(String url) {
    // Never echo the URL: it may carry a password.
    return new IllegalArgumentException(
        "rateLimit.redis must be a URL like redis://host:6379 (or rediss:// for TLS)"
            + (url.contains("@") ? "" : ", was '" + url + "'"));
  }

  /**
   * The certificates to trust for a {@code rediss://} Redis ({@code rateLimit.redisCa}); without
   * it, the JDK's default trust store. Either way the certificate must name the URL's host.
   */
  public RateLimiterBuilder redisCa(X509TrustManager trust) {
    this.redisTrust = Objects.requireNonNull(trust, "rateLimit.redisCa");
    return this;
  }

  /** Connect and socket timeout for Redis ({@code rateLimit.redisTimeout}); default 200 ms. */
  public RateLimiterBuilder redisTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "rateLimit.redisTimeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > 60_000) {
      throw new IllegalArgumentException("rateLimit.redisTimeout must be 1 ms to 60 s, was " + timeout);
    }
    this.redisTimeout = timeout;
    return this;
  }

  /** How long to wait before trying a failed Redis again; default 1 s. */
  public RateLimiterBuilder redisRetryInterval(Duration interval) {
    Objects.requireNonNull(interval, "rateLimit.redisRetryInterval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException(
          "rateLimit.redisRetryInterval must be positive, was " + interval);
    }
    this.redisRetryInterval = interval;
    return this;
  }

  /** The time source of the local limiter and the retry interval; tests pass a fake one. */
  public RateLimiterBuilder ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return this;
  }

  /** The validated rate and burst. */
  public RateLimit limit() {
    return new RateLimit(perSecond, burst == null ? perSecond : burst);
  }

  public RateLimiter build() {
    RateLimit limit = limit();
    LocalRateLimiter local = new LocalRateLimiter(limit, ticker);
    if (redis == null) {
      return local;
    }
    return new FailoverRateLimiter(
        new RedisRateLimiter(connect(), limit, redisDescription, redisTimeout),
        local,
        ticker,
        redisRetryInterval);
  }

  private static SSLSocketFactory socketFactory(X509TrustManager trust) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {trust}, null);
      return ctx.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make a TLS context", e);
    }
  }

  private RedisClient connect() {
    int millis = (int) redisTimeout.toMillis();
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(millis)
            .socketTimeoutMillis(millis)
            .ssl(JedisURIHelper.isRedisSSLScheme(redis))
            .clientName("spartan-rate-limiter")
              .protocol(RedisProtocol.RESP2); // the replies read are RESP2 (and Jedis warns unless told)
    if (JedisURIHelper.isRedisSSLScheme(redis)) {
      // Jedis checks no host name unless told to: the JDK does it with HTTPS identification.
      SSLParameters params = new SSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      params.setProtocols(Tls.PROTOCOLS.toArray(new String[0]));
      config.sslParameters(params);
      if (redisTrust != null) {
        config.sslSocketFactory(socketFactory(redisTrust));
      }
    }
    if (JedisURIHelper.getPassword(redis) != null) {
      config.user(JedisURIHelper.getUser(redis)).password(JedisURIHelper.getPassword(redis));
    }
    if (JedisURIHelper.hasDbIndex(redis)) {
      config.database(JedisURIHelper.getDBIndex(redis));
    }
    // One connection: the limiter's batcher is its only user, one batch at a time. The pool
    // reconnects after a failure.
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(1);
    pool.setMaxIdle(1);
    pool.setMinIdle(0);
    pool.setMaxWait(redisTimeout);
    pool.setTestOnBorrow(false);
    pool.setJmxEnabled(false);
    return RedisClient.builder()
        .hostAndPort(new HostAndPort(redis.getHost(), redis.getPort()))
        .clientConfig(config.build())
        .poolConfig(pool)
        .build();
  }
}
