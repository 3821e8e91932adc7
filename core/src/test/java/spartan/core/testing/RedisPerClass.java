package spartan.core.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.Jedis;

/**
 * One plain {@code redis-server} for a test class, started before its first test, emptied
 * before each test and stopped after the last. Register it as a static field:
 *
 * <pre>
 * &#64;RegisterExtension static final RedisPerClass redis = new RedisPerClass();
 * </pre>
 */
public final class RedisPerClass
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
  private RedisProcess server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = RedisProcess.startOnFreePort();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    server.close();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    try (Jedis j = new Jedis("127.0.0.1", server.port())) {
      j.flushAll();
    }
  }

  public String url() {
    return server.url();
  }

  public int port() {
    return server.port();
  }
}
