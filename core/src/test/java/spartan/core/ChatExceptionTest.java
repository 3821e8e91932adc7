package spartan.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChatExceptionTest {
  @Test
  void aRateLimitSaysWhenToRetryRoundedUpToATenth() {
    assertThat(ChatException.rateLimited(Duration.ofMillis(400)).getMessage())
        .isEqualTo("Rate limited — try again in 0.4 s.");
    assertThat(ChatException.rateLimited(Duration.ofMillis(4)).getMessage())
        .isEqualTo("Rate limited — try again in 0.1 s.");
    assertThat(ChatException.rateLimited(Duration.ofMillis(1250)).getMessage())
        .isEqualTo("Rate limited — try again in 1.3 s.");
    assertThat(ChatException.rateLimited(Duration.ofMillis(-5)).retryAfter())
        .isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void theWireRetryDelayIsRoundedUpAndNeverZero() {
    assertThat(ChatException.rateLimited(Duration.ofNanos(1)).retryAfterMillis()).isEqualTo(1);
    assertThat(ChatException.rateLimited(Duration.ofNanos(1_000_001)).retryAfterMillis())
        .isEqualTo(2);
    assertThat(ChatException.rateLimited(Duration.ofMillis(400)).retryAfterMillis()).isEqualTo(400);
    assertThat(ChatException.rateLimited(Duration.ZERO).retryAfterMillis()).isEqualTo(1);
    assertThat(ChatException.notFound("x").retryAfterMillis()).isZero();
  }

  @Test
  void noRateLimitFailureEverSaysRetryNow() {
    assertThat(ChatException.rateLimited(Duration.ZERO).retryAfter()).isPositive();
    assertThat(ChatException.rateLimited(Duration.ofNanos(-1)).retryAfter()).isPositive();
    assertThat(ChatException.rateLimited("remote said so", Duration.ZERO).retryAfter())
        .isPositive();
    assertThat(ChatException.rateLimited("remote said so", null).retryAfterMillis()).isEqualTo(1);
    assertThat(ChatException.rateLimited(Duration.ZERO).getMessage()).doesNotContain(" 0.0 s");
  }

  @Test
  void anythingElseIsWrappedAsInternalWithoutItsMessage() {
    ChatException e = ChatException.wrap(new IllegalStateException("db path /secret"));
    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(e.getMessage()).isEqualTo("internal error");
    ChatException inner = ChatException.notFound("No such user: zed.");
    assertThat(ChatException.wrap(new java.util.concurrent.CompletionException(inner))).isSameAs(inner);
  }
}
