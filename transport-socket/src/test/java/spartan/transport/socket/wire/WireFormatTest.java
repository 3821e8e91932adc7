package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import spartan.core.ChatException;

class WireFormatTest {
  @Test
  void retryAfterMsIsRoundedUpAndNeverZero() {
    ObjectNode sub =
        WireFormat.error(WireJson.object(), ChatException.rateLimited(Duration.ofNanos(300_000)));
    assertThat(sub.path("error").path("retryAfterMs").asLong()).isEqualTo(1);
    ObjectNode frac =
        WireFormat.error(
            WireJson.object(), ChatException.rateLimited(Duration.ofMillis(400).plusNanos(1)));
    assertThat(frac.path("error").path("retryAfterMs").asLong()).isEqualTo(401);
    ObjectNode zero = WireFormat.error(WireJson.object(), ChatException.rateLimited(Duration.ZERO));
    assertThat(zero.path("error").path("retryAfterMs").asLong()).isEqualTo(1);
  }

  @Test
  void retryAfterMsReadBackIsTheWait() {
    ObjectNode reply = WireJson.object().put("ok", false);
    WireFormat.error(reply, ChatException.rateLimited(Duration.ofMillis(250)));
    ChatException e = WireFormat.errorFrom(reply);
    assertThat(e.retryAfterMillis()).isEqualTo(250);
  }
}
