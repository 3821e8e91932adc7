package spartan.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterBuilderTest {

  @Test
  void defaultsToFifteenASecondWithABurstOfOneSecond() {
    try (RateLimiter limiter = RateLimiter.builder().build()) {
      assertThat(limiter).isInstanceOf(LocalRateLimiter.class);
      assertThat(limiter.limit()).isEqualTo(new RateLimit(15, 15));
    }
    assertThat(RateLimiter.builder().perSecond(40).limit()).isEqualTo(new RateLimit(40, 40));
  }

  @Test
  void aRedisUrlGivesARedisLimiterWithALocalFallback() {
    try (RateLimiter limiter =
        RateLimiter.builder().perSecond(5).burst(2).redis("redis://127.0.0.1:1").build()) {
      assertThat(limiter).isInstanceOf(FailoverRateLimiter.class);
      assertThat(limiter.limit()).isEqualTo(new RateLimit(5, 2));
    }
  }

  @Test
  void badSettingsFailAtOnceNamingTheSetting() {
    assertThatThrownBy(() -> RateLimiter.builder().perSecond(0))
        .hasMessage("rateLimit.perSecond must be 1-1000000, was 0");
    assertThatThrownBy(() -> RateLimiter.builder().burst(-3))
        .hasMessage("rateLimit.burst must be 1-1000000, was -3");
    assertThatThrownBy(() -> RateLimiter.builder().redis("http://localhost:6379"))
        .hasMessageStartingWith("rateLimit.redis must be a URL like redis://host:6379");
    assertThatThrownBy(() -> RateLimiter.builder().redis("redis://localhost"))
        .hasMessageStartingWith("rateLimit.redis");
    assertThatThrownBy(() -> RateLimiter.builder().redis("not a url"))
        .hasMessageStartingWith("rateLimit.redis");
    assertThatThrownBy(() -> RateLimiter.builder().redisTimeout(Duration.ZERO))
        .hasMessageStartingWith("rateLimit.redisTimeout");
  }

  @Test
  void aBadUrlWithCredentialsIsNotEchoed() {
    assertThatThrownBy(() -> RateLimiter.builder().redis("http://user:s3cret@host:1"))
        .hasMessageStartingWith("rateLimit.redis")
        .message()
        .doesNotContain("s3cret");
  }

  @Test
  void blankRedisMeansLocal() {
    try (RateLimiter limiter = RateLimiter.builder().redis(" ").build()) {
      assertThat(limiter).isInstanceOf(LocalRateLimiter.class);
    }
  }
}
