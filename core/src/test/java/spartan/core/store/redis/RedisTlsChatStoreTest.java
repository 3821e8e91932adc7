package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.testing.RedisProcess;
import spartan.core.tls.PemFiles;
import spartan.core.tls.PrivateCa;

/** The store over {@code rediss://}: it works through a trusted CA and refuses any other. */
class RedisTlsChatStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  private static RedisChatStoreBuilder builder(String url, Path ca) {
    return RedisChatStore.builder()
        .url(url)
        .ca(PemFiles.trustManager(ca, "rateLimit.redisCa"))
        .timeout(Duration.ofSeconds(5));
  }

  @Test
  void theStoreSpeaksTlsToARedisItTrustsAndRefusesOneItDoesNot() throws Exception {
    PrivateCa.Written certs =
        PrivateCa.writeFiles(dir.resolve("certs"), List.of(), false, Clock.systemUTC());
    PrivateCa.Written other =
        PrivateCa.writeFiles(dir.resolve("other"), List.of(), false, Clock.systemUTC());
    try (RedisProcess redis = RedisProcess.startTlsOnFreePort(certs.certificate(), certs.key())) {
      assertThat(redis.url()).startsWith("rediss://");
      try (RedisChatStore store = builder(redis.url(), certs.ca()).build()) {
        store.createAccount("alice", null, T0);
        assertThat(store.findAccount("alice")).isPresent();
      }
      assertThatThrownBy(() -> builder(redis.url(), other.ca()).build())
          .isInstanceOf(ChatException.class)
          .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
  }
}
