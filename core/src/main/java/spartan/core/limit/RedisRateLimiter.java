package spartan.core.limit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A {@link RateLimiter} shared by every node that talks to one Redis: the same GCRA as {@link
 * LocalRateLimiter}, run as one Lua script per check. The script reads the clock with Redis
 * {@code TIME}, so the nodes' own clocks never matter; it runs atomically, so concurrent checks
 * from several nodes are serialised and the limit holds across them exactly; and it is sent by
 * {@code EVALSHA}, so a check is one round trip carrying only the script's hash. When Redis has
 * forgotten the script (a restart, {@code SCRIPT FLUSH}) the {@code NOSCRIPT} answer makes the
 * limiter load it and retry once, transparently. Scripts calling {@code TIME} need effects
 * replication, the default since Redis 5.
 *
 * <p>State is one string key per limited key ({@code spartan:rl:<key>}) holding the theoretical
 * arrival time in microseconds, expiring when it is in the past, so idle users cost nothing.
 *
 * <p>Thread-safe. Blocking: call it off event-loop threads. Every Redis failure — refused
 * connection, timeout, exhausted pool, an error reply — surfaces as {@link
 * RateLimiterUnavailableException}, promptly (connect and socket timeouts are short); {@link
 * FailoverRateLimiter} turns that into a fallback.
 */
public final class RedisRateLimiter implements RateLimiter {
  static final String KEY_PREFIX = "spartan:rl:";

  /**
   * KEYS[1] the limiter key; ARGV[1] emission interval, ARGV[2] delay tolerance, both in µs.
   * Returns 0 when allowed, else the µs to wait. Numbers are formatted with %.0f before being
   * stored because Redis turns a Lua number argument into a string with %.14g, which would round
   * a microsecond timestamp.
   */
  static final String SCRIPT =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      local interval = tonumber(ARGV[1])
      local tolerance = tonumber(ARGV[2])
      local tat = tonumber(redis.call('GET', KEYS[1]))
      if tat == nil or tat < now then
        tat = now
      end
      local ahead = tat - now
      if ahead > tolerance then
        return ahead - tolerance
      end
      local nextTat = tat + interval
      redis.call('SET', KEYS[1], string.format('%.0f', nextTat),
                 'PX', string.format('%.0f', math.ceil((nextTat - now) / 1000)))
      return 0
      """;

  static final String SCRIPT_SHA = sha1(SCRIPT);

  private final RedisClient client;
  private final RateLimit limit;
  private final List<String> args;
  private final String description;

  /**
   * @param client the connection pool; this limiter owns it and closes it on {@link #close()}
   * @param limit the rate and burst per key
   * @param description where Redis is, for logs (no credentials)
   */
  RedisRateLimiter(RedisClient client, RateLimit limit, String description) {
    this.client = Objects.requireNonNull(client, "client");
    this.limit = Objects.requireNonNull(limit, "limit");
    this.description = description;
    long intervalMicros = (limit.intervalNanos() + 999) / 1000;
    long toleranceMicros = (limit.burst() - 1L) * intervalMicros;
    this.args = List.of(Long.toString(intervalMicros), Long.toString(toleranceMicros));
  }

  @Override
  public Decision tryAcquire(String key) {
    Objects.requireNonNull(key, "key");
    List<String> keys = List.of(KEY_PREFIX + key);
    long waitMicros;
    try {
      waitMicros = run(keys);
    } catch (JedisConnectionException e) {
      // The pooled connections are likely all dead (Redis restarted): drop the idle ones so the
      // next call connects afresh instead of failing once per stale connection.
      client.getPool().clear();
      throw new RateLimiterUnavailableException("Redis at " + description + " unreachable", e);
    } catch (JedisException | ClassCastException e) {
      // An error reply (LOADING, READONLY, OOM...) or an unexpected answer: not a decision.
      throw new RateLimiterUnavailableException(
          "Redis at " + description + " failed: " + e.getMessage(), e);
    }
    return waitMicros <= 0 ? Decision.ALLOWED : Decision.denied(Duration.ofNanos(waitMicros * 1000));
  }

  private long run(List<String> keys) {
    Object answer;
    try {
      answer = client.evalsha(SCRIPT_SHA, keys, args);
    } catch (JedisNoScriptException e) {
      answer = reloadAndRun(keys);
    } catch (JedisDataException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) {
        throw e;
      }
      answer = reloadAndRun(keys);
    }
    return (Long) answer;
  }

  private Object reloadAndRun(List<String> keys) {
    client.scriptLoad(SCRIPT);
    return client.evalsha(SCRIPT_SHA, keys, args);
  }

  @Override
  public RateLimit limit() {
    return limit;
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "RedisRateLimiter[" + limit + " at " + description + "]";
  }

  private static String sha1(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}
