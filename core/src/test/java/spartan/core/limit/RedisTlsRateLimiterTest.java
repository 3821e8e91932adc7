package spartan.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.testing.RedisProcess;
import spartan.core.tls.PemFiles;
import spartan.core.tls.PrivateCa;

/**
 * The limiter over {@code rediss://} against a real redis-server speaking only TLS, with
 * certificates from {@link PrivateCa}: shared limits work through it, and a server the limiter
 * must not trust (another CA, or a certificate for another host) is never used.
 */
class RedisTlsRateLimiterTest {
  @TempDir Path dir;

  private RateLimiter limiter(String url, Path ca) {
    return RateLimiter.builder()
        .perSecond(1)
        .burst(1)
        .redis(url)
        .redisCa(PemFiles.trustManager(ca, "rateLimit.redisCa"))
        .redisTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void twoNodesShareOneBudgetThroughRedisOverTls() throws Exception {
    PrivateCa.Written certs =
        PrivateCa.writeFiles(dir.resolve("certs"), List.of(), false, Clock.systemUTC());
    try (RedisProcess redis = RedisProcess.startTlsOnFreePort(certs.certificate(), certs.key());
        RateLimiter one = limiter(redis.url(), certs.ca());
        RateLimiter two = limiter(redis.url(), certs.ca())) {
      assertThat(redis.url()).startsWith("rediss://");
      assertThat(one.tryAcquire("alice").allowed()).isTrue();
      // The second node has never seen alice: only the shared bucket in Redis can refuse her.
      assertThat(two.tryAcquire("alice").allowed()).isFalse();
      assertThat(((FailoverRateLimiter) one).isFallingBack()).isFalse();
      assertThat(((FailoverRateLimiter) two).isFallingBack()).isFalse();
    }
  }

  @Test
  void aRedisWhoseCertificateIsNotTrustedIsNotUsed() throws Exception {
    PrivateCa.Written certs =
        PrivateCa.writeFiles(dir.resolve("certs"), List.of(), false, Clock.systemUTC());
    PrivateCa.Written other =
        PrivateCa.writeFiles(dir.resolve("other"), List.of(), false, Clock.systemUTC());
    try (RedisProcess redis = RedisProcess.startTlsOnFreePort(certs.certificate(), certs.key());
        RateLimiter limiter = limiter(redis.url(), other.ca())) {
      assertThat(limiter.tryAcquire("alice").allowed()).isTrue(); // answered locally
      assertThat(((FailoverRateLimiter) limiter).isFallingBack()).isTrue();
    }
  }

  @Test
  void aRedisWhoseCertificateNamesAnotherHostIsNotUsed() throws Exception {
    PrivateCa ca = PrivateCa.create("test CA", Clock.systemUTC());
    PrivateCa.Issued issued = ca.issue(List.of("redis.example.org"));
    Path cert = dir.resolve("redis.pem");
    Path key = dir.resolve("redis-key.pem");
    Path caFile = dir.resolve("ca.pem");
    Files.write(cert, PrivateCa.pem(issued.certificate()));
    Files.write(key, PrivateCa.pem(issued.key()));
    Files.write(caFile, PrivateCa.pem(ca.certificate()));
    try (RedisProcess redis = RedisProcess.startTlsOnFreePort(cert, key);
        RateLimiter limiter = limiter(redis.url(), caFile)) {
      assertThat(limiter.tryAcquire("alice").allowed()).isTrue(); // answered locally
      assertThat(((FailoverRateLimiter) limiter).isFallingBack()).isTrue();
    }
  }
}
