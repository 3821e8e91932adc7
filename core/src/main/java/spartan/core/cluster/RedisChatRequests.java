package spartan.core.cluster;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import spartan.core.ChatException;
import spartan.core.spi.PendingChatRequests;

/**
 * Pending chat requests shared by every node on one Redis, so a request made on one node can be
 * answered on another: {@code sp:{u:<to>}:requests} is a sorted set of requesters scored by
 * when they asked (at most {@link #MAX_PER_TARGET}, the oldest dropped first, expiring a day
 * after the last request), and {@code sp:{u:<from>}:asked} the users someone asked, so deleting
 * an account can withdraw its requests. Each script touches one user's slot. Thread-safe;
 * throws {@code UNAVAILABLE} when Redis cannot be reached.
 */
final class RedisChatRequests implements PendingChatRequests {
  static final int MAX_PER_TARGET = 64;
  static final long TTL_MS = 24 * 3600 * 1000L;

  /**
   * KEYS[1] the target's set; ARGV from, now ms, max, ttl ms. Scores strictly increase, so
   * requests made in the same millisecond keep their order (ties would sort by name).
   */
  private static final String ADD =
      """
      local score = tonumber(ARGV[2])
      local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
      if top[2] ~= nil and tonumber(top[2]) >= score then
        score = tonumber(top[2]) + 1
      end
      redis.call('ZADD', KEYS[1], string.format('%.0f', score), ARGV[1])
      local n = redis.call('ZCARD', KEYS[1])
      if n > tonumber(ARGV[3]) then
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - tonumber(ARGV[3]) - 1)
      end
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return n
      """;

  /**
   * KEYS[1] the requester's set of users asked; ARGV target, max, ttl ms. Past the bound a
   * random entry goes: deleting the account then cannot withdraw that one request, which
   * expires with its day.
   */
  private static final String ASKED =
      """
      redis.call('SADD', KEYS[1], ARGV[1])
      if redis.call('SCARD', KEYS[1]) > tonumber(ARGV[2]) then
        redis.call('SPOP', KEYS[1])
      end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1
      """;

  /** Users one requester's deletion can still withdraw requests from. */
  static final int MAX_ASKED = 1024;

  private final UnifiedJedis redis;
  private final Clock clock;

  RedisChatRequests(UnifiedJedis redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  private static String to(String user) {
    return "sp:{u:" + user + "}:requests";
  }

  private static String asked(String user) {
    return "sp:{u:" + user + "}:asked";
  }

  @Override
  public void add(String from, String to) {
    long now = clock.millis();
    run(() -> {
      try (AbstractPipeline p = redis.pipelined()) {
        p.eval(ADD, List.of(to(to)), List.of(from, Long.toString(now),
            Integer.toString(MAX_PER_TARGET), Long.toString(TTL_MS)));
        p.eval(ASKED, List.of(asked(from)), List.of(to, Integer.toString(MAX_ASKED),
            Long.toString(TTL_MS)));
        p.sync();
      }
      return null;
    });
  }

  @Override
  public boolean remove(String from, String to) {
    long now = clock.millis();
    return run(() -> {
      Double at = redis.zscore(to(to), from);
      if (at == null) {
        return false;
      }
      // Only the node whose ZREM took it answers: two nodes answering at once must not both.
      if (redis.zrem(to(to), from) == 0) {
        return false;
      }
      return at.longValue() + TTL_MS >= now;
    });
  }

  /** Empty while Redis is unreachable: a subscription then starts without the reminders. */
  @Override
  public List<String> pendingFor(String to) {
    long cutoff = clock.millis() - TTL_MS;
    try {
      redis.zremrangeByScore(to(to), Double.NEGATIVE_INFINITY, cutoff - 1);
      return new ArrayList<>(redis.zrange(to(to), 0, -1));
    } catch (JedisException e) {
      return List.of();
    }
  }

  @Override
  public void forget(String user) {
    run(() -> {
      Set<String> targets = redis.smembers(asked(user));
      try (AbstractPipeline p = redis.pipelined()) {
        for (String t : targets) {
          p.zrem(to(t), user);
        }
        p.del(to(user));
        p.del(asked(user));
        p.sync();
      }
      return null;
    });
  }

  private <T> T run(java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (JedisException e) {
      throw ChatException.unavailable("Chat requests are unavailable (Redis unreachable); try again.");
    }
  }
}
