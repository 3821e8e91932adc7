package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  @Test
  void defaultsCompareBothTransportsOnEveryScenarioAgainstTheBaseline() {
    BenchOptions o = BenchOptions.parse(List.of());
    assertThat(o.bindings()).containsExactly("netty", "grpc", "socket");
    assertThat(o.scenarios()).isEqualTo(BenchOptions.ALL_SCENARIOS);
    assertThat(o.duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.plot().toString()).endsWith("results-latency.svg");
  }

  @Test
  void scenariosByNumberOrNameRunInTheDocumentedOrder() {
    BenchOptions o = BenchOptions.parse(List.of("--scenario", "drain,1,fanout", "--no-baseline",
        "--transport", "socket,inproc", "--duration=1.5s", "--rate", "10,20"));
    assertThat(o.scenarios()).containsExactly("latency", "fanout", "drain");
    assertThat(o.bindings()).containsExactly("socket", "inproc");
    assertThat(o.duration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.rates()).containsExactly(10.0, 20.0);
  }

  @Test
  void badValuesNameTheirOption() {
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--transport", "carrier-pigeon")))
        .hasMessageContaining("--transport");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--clients", "0")))
        .hasMessageContaining("--clients");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--duration", "1h")))
        .hasMessageContaining("--duration");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--frobnicate", "1")))
        .hasMessageContaining("--frobnicate");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--rate")))
        .hasMessageContaining("--rate needs a value");
  }

  @Test
  void tlsAddsATlsBindingAfterEachTransport() {
    assertThat(BenchOptions.parse(List.of("--tls")).bindings())
        .containsExactly("netty", "grpc", "socket", "grpc-tls", "socket-tls");
    assertThat(BenchOptions.parse(List.of("--tls", "--transport", "socket,inproc")).bindings())
        .containsExactly("netty", "socket", "inproc", "socket-tls");
  }

  @Test
  void trafficStaysOnLoopback() {
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--host", "10.0.0.1", "--port", "3000")))
        .hasMessageContaining("127.0.0.1");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--host", "127.0.0.1")))
        .hasMessageContaining("--port");
    assertThatThrownBy(
            () -> BenchOptions.parse(List.of("--server", "fork", "--transport", "inproc")))
        .hasMessageContaining("in-process");
  }
}
