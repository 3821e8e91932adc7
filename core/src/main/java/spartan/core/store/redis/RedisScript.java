package spartan.core.store.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Lua script, called by its SHA-1 and sent whole only when Redis does not know it yet (after
 * a restart, or on a cluster node that has not seen it).
 */
final class RedisScript {
  private final byte[] source;
  private final byte[] sha;

  RedisScript(String source) {
    this.source = source.getBytes(StandardCharsets.UTF_8);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(this.source);
      this.sha = HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-1", e);
    }
  }

  Object call(UnifiedJedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return redis.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      return redis.eval(source, keys, args);
    }
  }

  /** Queues a call by SHA-1 in a pipeline; read its result with {@link #result}. */
  Response<Object> queue(AbstractPipeline pipeline, List<byte[]> keys, List<byte[]> args) {
    return pipeline.evalsha(sha, keys, args);
  }

  /**
   * The result of a queued call; if Redis did not know the script, nothing ran, so it is called
   * again directly, which loads it.
   */
  Object result(
      Response<Object> queued, UnifiedJedis redis, List<byte[]> keys, List<byte[]> args) {
    try {
      return queued.get();
    } catch (JedisNoScriptException e) {
      return call(redis, keys, args);
    }
  }
}
