package spartan.core.limit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A {@link RateLimiter} shared by every node that talks to one Redis: the same GCRA as {@link
 * LocalRateLimiter}, run as a Lua script. The script reads the clock with Redis {@code TIME}, so
 * the nodes' own clocks never matter; it runs atomically, so concurrent checks from several nodes
 * are serialised and the limit holds across them exactly; and it is sent by {@code EVALSHA}, so
 * it travels as its hash. When Redis has forgotten the script (a restart, {@code SCRIPT FLUSH})
 * the {@code NOSCRIPT} answer makes the limiter load it and retry once, transparently. Scripts
 * calling {@code TIME} need effects replication, the default since Redis 5.
 *
 * <p><b>Checks are batched.</b> A check is queued ({@link #acquireAsync}, or {@link #tryAcquire}
 * which waits for it); one thread per limiter takes every check queued so far (up to {@value
 * #MAX_BATCH}) and answers them all with one {@code EVALSHA} over all their keys, in queue order,
 * so a key named twice in a batch is charged twice. While one batch is in flight the next one
 * gathers, so under load a check costs a share of a round trip and of one script call rather
 * than a whole one each: one blocking round trip per check held the server to a small fraction of
 * its unlimited capacity (the {@code limiter} scenario in BENCHMARKS.md). No Redis
 * client batches separate commands into one script call, so this is written here. All of a
 * batch's keys go to one Redis node, so this limiter supports a single Redis (or a primary with
 * replicas), not Redis Cluster.
 *
 * <p>State is one string key per limited key ({@code spartan:rl:<key>}) holding the theoretical
 * arrival time in microseconds, expiring when it is in the past, so idle users cost nothing.
 *
 * <p><b>Its own thread.</b> The batcher is the one thread the core starts itself instead of taking
 * an injected executor: it spends its life blocked on Jedis round trips, so it would hold a pooled
 * thread for as long as the limiter lives anyway, and a single consumer is what lets the next
 * batch gather while one is in flight. It is a daemon, named {@code spartan-rate-limiter-redis},
 * and {@link #close()} stops it.
 *
 * <p>Thread-safe. {@link #tryAcquire} blocks for a batch's round trip: call it off event-loop
 * threads. {@link #acquireAsync} never blocks; its future completes on the batcher thread. Every
 * Redis failure — refused connection, timeout, an error reply — fails the whole batch as {@link
 * RateLimiterUnavailableException}, promptly (connect and socket timeouts are short); a lost
 * connection fails every check queued behind it too, so an outage costs one timeout, not one per
 * batch. {@link #tryAcquire} gives up after four timeouts whatever happens. {@link
 * FailoverRateLimiter} turns these failures into a fallback. After {@link #close()} checks fail
 * the same way.
 */
public final class RedisRateLimiter implements RateLimiter {
  static final String KEY_PREFIX = "spartan:rl:";

  /** Most checks answered by one script call; bounds the call's keys and reply. */
  static final int MAX_BATCH = 256;

  /**
   * KEYS the limiter keys, in check order; ARGV[1] emission interval, ARGV[2] delay tolerance,
   * both in µs. Returns one number per key: 0 when allowed, else the µs to wait. Numbers are
   * formatted with %.0f before being stored because Redis turns a Lua number argument into a
   * string with %.14g, which would round a microsecond timestamp.
   */
  static final String SCRIPT =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      local interval = tonumber(ARGV[1])
      local tolerance = tonumber(ARGV[2])
      local waits = {}
      for i, key in ipairs(KEYS) do
        local tat = tonumber(redis.call('GET', key))
        if tat == nil or tat < now then
          tat = now
        end
        local ahead = tat - now
        if ahead > tolerance then
          waits[i] = ahead - tolerance
        else
          local nextTat = tat + interval
          redis.call('SET', key, string.format('%.0f', nextTat),
                     'PX', string.format('%.0f', math.ceil((nextTat - now) / 1000)))
          waits[i] = 0
        end
      end
      return waits
      """;

  static final String SCRIPT_SHA = sha1(SCRIPT);

  private final RedisClient client;
  private final RateLimit limit;
  private final List<String> args;
  private final String description;
  private final long waitNanos;
  private final BlockingQueue<Check> queue = new LinkedBlockingQueue<>();
  private final Thread batcher;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param client the connection pool; this limiter owns it and closes it on {@link #close()}
   * @param limit the rate and burst per key
   * @param description where Redis is, for logs (no credentials)
   * @param timeout the client's connect and socket timeout: {@link #tryAcquire} gives up after
   *     the batch ahead of it and its own have each had that long
   */
  RedisRateLimiter(RedisClient client, RateLimit limit, String description, Duration timeout) {
    this(client, limit, description, timeout, true);
  }

  /** As above; with {@code start} false checks queue until {@link #startBatcher()}, for tests. */
  RedisRateLimiter(
      RedisClient client, RateLimit limit, String description, Duration timeout, boolean start) {
    this.client = Objects.requireNonNull(client, "client");
    // Connect and read, for the batch in flight and for this check's own.
    this.waitNanos = timeout.toNanos() * 4;
    this.limit = Objects.requireNonNull(limit, "limit");
    this.description = description;
    long intervalMicros = (limit.intervalNanos() + 999) / 1000;
    long toleranceMicros = (limit.burst() - 1L) * intervalMicros;
    this.args = List.of(Long.toString(intervalMicros), Long.toString(toleranceMicros));
    this.batcher = new Thread(this::runBatches, "spartan-rate-limiter-redis");
    batcher.setDaemon(true);
    if (start) {
      batcher.start();
    }
  }

  void startBatcher() {
    batcher.start();
  }

  /** Checks waiting for a batch, not counting one in flight; for tests. */
  int queued() {
    return queue.size();
  }

  /** One queued check: its Redis key and the answer. */
  private record Check(String key, CompletableFuture<Decision> decision) {}

  @Override
  public Decision tryAcquire(String key) {
    try {
      return acquireAsync(key).get(waitNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Only a batcher stuck behind a long queue gets here; the check may still be charged.
      throw new RateLimiterUnavailableException("Redis at " + description + " too slow", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RateLimiterUnavailableException u) {
        // A fresh exception per caller: the batch's is shared, and its stack is the batcher's.
        throw new RateLimiterUnavailableException(u.getMessage(), u.getCause());
      }
      throw new RateLimiterUnavailableException(
          "Redis at " + description + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RateLimiterUnavailableException("interrupted waiting for Redis", e);
    }
  }

  /**
   * Queues the check for the next batch. The future is completed on this limiter's batcher
   * thread; it fails with {@link RateLimiterUnavailableException}.
   */
  @Override
  public CompletableFuture<Decision> acquireAsync(String key) {
    Objects.requireNonNull(key, "key");
    if (closed.get()) {
      return CompletableFuture.failedFuture(closedException());
    }
    Check check = new Check(KEY_PREFIX + key, new CompletableFuture<>());
    queue.add(check);
    if (closed.get() && queue.remove(check)) {
      // close() drained the queue before this check went in.
      check.decision.completeExceptionally(closedException());
    }
    return check.decision;
  }

  /** The batcher thread: one script call per batch of whatever has queued, until closed. */
  private void runBatches() {
    List<Check> batch = new ArrayList<>(MAX_BATCH);
    while (!closed.get()) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break; // close()
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      answer(batch);
      batch.clear();
    }
    failQueued();
  }

  private void answer(List<Check> batch) {
    List<?> waits;
    try {
      waits = run(batch.stream().map(Check::key).toList());
      if (waits.size() != batch.size()) {
        throw new ClassCastException("expected " + batch.size() + " answers, got " + waits.size());
      }
    } catch (JedisConnectionException e) {
      // The pooled connection is likely dead (Redis restarted): drop it so the next batch
      // connects afresh instead of failing once more on a stale connection.
      client.getPool().clear();
      // Fail what queued meanwhile too, so the callers' fallback answers it now rather than
      // each batch waiting out its own timeout in turn.
      queue.drainTo(batch);
      fail(
          batch,
          new RateLimiterUnavailableException("Redis at " + description + " unreachable", e));
      return;
    } catch (JedisException | ClassCastException e) {
      // An error reply (LOADING, READONLY, OOM...) or an unexpected answer: not a decision.
      fail(
          batch,
          new RateLimiterUnavailableException(
              "Redis at " + description + " failed: " + e.getMessage(), e));
      return;
    } catch (RuntimeException | Error e) {
      // Anything else must not kill the batcher and strand every caller after it.
      fail(batch, new RateLimiterUnavailableException("Redis at " + description + " failed", e));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      CompletableFuture<Decision> decision = batch.get(i).decision;
      if (waits.get(i) instanceof Long micros) {
        decision.complete(
            micros <= 0 ? Decision.ALLOWED : Decision.denied(Duration.ofNanos(micros * 1000)));
      } else {
        decision.completeExceptionally(
            new RateLimiterUnavailableException(
                "Redis at " + description + " answered " + waits.get(i) + ", not a number", null));
      }
    }
  }

  private List<?> run(List<String> keys) {
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
    return (List<?>) answer;
  }

  private Object reloadAndRun(List<String> keys) {
    client.scriptLoad(SCRIPT);
    return client.evalsha(SCRIPT_SHA, keys, args);
  }

  private static void fail(List<Check> batch, RateLimiterUnavailableException e) {
    for (Check c : batch) {
      c.decision.completeExceptionally(e);
    }
  }

  private void failQueued() {
    List<Check> left = new ArrayList<>();
    queue.drainTo(left);
    fail(left, closedException());
  }

  private RateLimiterUnavailableException closedException() {
    return new RateLimiterUnavailableException(
        "rate limiter for Redis at " + description + " is closed", null);
  }

  @Override
  public RateLimit limit() {
    return limit;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    batcher.interrupt();
    try {
      // A batch in flight ends within the socket timeout. Never join from the batcher itself
      // (a caller's callback closing the limiter).
      if (batcher.isAlive() && Thread.currentThread() != batcher) {
        batcher.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failQueued();
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
