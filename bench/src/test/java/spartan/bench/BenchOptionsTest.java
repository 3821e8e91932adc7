package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  private static List<String> names(BenchOptions o) {
    return o.bindings().stream().map(Binding::name).toList();
  }

  @Test
  void defaultsMeasureTheEmbeddedStoreBesideMemoryOnBothTransportsForkedWhereThatWorks() {
    BenchOptions o = BenchOptions.parse(List.of());
    assertThat(names(o))
        .containsExactly(
            "netty", "grpc:embedded", "grpc:memory", "socket:embedded", "socket:memory");
    assertThat(o.scenarios()).isEqualTo(BenchOptions.ALL_SCENARIOS);
    assertThat(o.scenarios().get(0)).as("capacity first: latency is taken at fractions of it")
        .isEqualTo("throughput");
    assertThat(o.server()).isEqualTo("auto");
    assertThat(o.duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.warmup()).isEqualTo(BenchOptions.DEFAULT_WARMUP);
    assertThat(o.loads()).containsExactly(0.25, 0.5, 0.75);
    assertThat(o.rates()).isEmpty();
    assertThat(o.nodes()).isEmpty();
    assertThat(o.plot().toString()).endsWith("results-latency.svg");
  }

  @Test
  void scenariosByNumberOrNameRunInTheDocumentedOrder() {
    BenchOptions o = BenchOptions.parse(List.of("--scenario", "drain,2,fanout", "--no-baseline",
        "--transport", "socket,inproc", "--store", "memory", "--duration=1.5s",
        "--rate", "10,20"));
    assertThat(o.scenarios()).containsExactly("latency", "fanout", "drain");
    assertThat(names(o)).containsExactly("socket:memory", "inproc:memory");
    assertThat(o.duration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.rates()).containsExactly(10.0, 20.0);
  }

  @Test
  void latencyLoadsArePercentagesOfCapacityOrFixedRatesButNotBoth() {
    assertThat(BenchOptions.parse(List.of("--load", "10,90")).loads()).containsExactly(0.1, 0.9);
    assertThat(LatencyScenario.rates(BenchOptions.parse(List.of()), 10_000))
        .containsExactly(2500.0, 5000.0, 7500.0);
    assertThat(LatencyScenario.rates(BenchOptions.parse(List.of("--rate", "700")), 10_000))
        .containsExactly(700.0);
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--load", "0")))
        .hasMessageContaining("--load");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--load", "101")))
        .hasMessageContaining("--load");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--load", "50", "--rate", "100")))
        .hasMessageContaining("--rate and --load");
  }

  @Test
  void storesAreChosenFromTheThreeAndRedisNeedsForkedServers() {
    assertThat(names(BenchOptions.parse(List.of("--store", "redis,memory", "--transport",
        "socket", "--no-baseline"))))
        .containsExactly("socket:redis", "socket:memory");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--store", "rocks")))
        .hasMessageContaining("--store");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--store", "redis", "--server", "inproc")))
        .hasMessageContaining("redis");
    assertThatThrownBy(
            () -> BenchOptions.parse(List.of("--store", "memory", "--host", "127.0.0.1",
                "--port", "47000")))
        .hasMessageContaining("--store and --host");
    assertThat(names(BenchOptions.parse(List.of("--host", "127.0.0.1", "--port", "47000",
        "--transport", "socket"))))
        .containsExactly("netty", "socket:remote");
  }

  @Test
  void nodesMeansOneToNOnRedisWithThroughputAndLatencyOnly() {
    BenchOptions o = BenchOptions.parse(List.of("--nodes", "3", "--transport", "socket"));
    assertThat(o.nodes()).containsExactly(1, 2, 3);
    assertThat(o.stores()).containsExactly("redis");
    assertThat(o.baseline()).as("the relay has no nodes").isFalse();
    assertThat(o.scenarios()).containsExactly("throughput", "latency");
    assertThat(names(o)).containsExactly("socket:redis", "socket:redis*2", "socket:redis*3");
    assertThat(BenchOptions.parse(List.of("--nodes", "3,1")).nodes()).containsExactly(1, 3);
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--nodes", "0")))
        .hasMessageContaining("--nodes");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--nodes", "9")))
        .hasMessageContaining("--nodes");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--nodes", "2", "--store", "embedded")))
        .hasMessageContaining("redis");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--nodes", "2", "--server", "inproc")))
        .hasMessageContaining("--nodes");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--nodes", "2", "--scenario", "drain")))
        .hasMessageContaining("--nodes measures");
    assertThatThrownBy(
            () -> BenchOptions.parse(List.of("--nodes", "2", "--host", "127.0.0.1", "--port", "1")))
        .hasMessageContaining("--nodes and --host");
  }

  @Test
  void serverModesWarmUpAndServerJavaOptionsAreChecked() {
    assertThat(BenchOptions.parse(List.of("--server", "fork")).server()).isEqualTo("fork");
    assertThat(BenchOptions.parse(List.of("--warmup", "0")).warmup()).isZero();
    assertThat(BenchOptions.parse(List.of("--warmup", "20s")).warmup())
        .isEqualTo(Duration.ofSeconds(20));
    assertThat(BenchOptions.parse(List.of("--server-java", " -Xmx1g  -XX:+PrintCompilation "))
        .serverJava())
        .containsExactly("-Xmx1g", "-XX:+PrintCompilation");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--server", "cloud")))
        .hasMessageContaining("--server");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--warmup", "11m")))
        .hasMessageContaining("--warmup");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--warmup", "-5s")))
        .hasMessageContaining("--warmup");
    assertThatThrownBy(() -> BenchOptions.parse(List.of("--server-java", "Xmx1g")))
        .hasMessageContaining("--server-java");
    assertThatThrownBy(
            () -> BenchOptions.parse(List.of("--server-java", "-X" + "x".repeat(200))))
        .hasMessageContaining("--server-java");
    assertThatThrownBy(
            () -> BenchOptions.parse(List.of("--server-java", "-Xa ".repeat(33))))
        .hasMessageContaining("at most 32");
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
  void tlsAddsATlsBindingAfterEachTransportOnEachStore() {
    assertThat(names(BenchOptions.parse(List.of("--tls", "--store", "memory"))))
        .containsExactly("netty", "grpc:memory", "grpc-tls:memory", "socket:memory",
            "socket-tls:memory");
    assertThat(names(BenchOptions.parse(List.of("--tls", "--transport", "socket,inproc",
        "--store", "embedded", "--server", "inproc"))))
        .containsExactly("netty", "socket:embedded", "socket-tls:embedded", "inproc:embedded");
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

  @Test
  void bindingNamesRoundTripAndRatiosCompareLikeWithLike() {
    for (String n : List.of("netty", "socket:embedded", "grpc-tls:memory", "socket:redis*3")) {
      assertThat(Binding.parse(n).name()).isEqualTo(n);
    }
    assertThat(Binding.parse("socket:redis*3").nodes()).isEqualTo(3);
    assertThatThrownBy(() -> Binding.parse("socket")).hasMessageContaining("socket:embedded");
    List<String> ratios =
        Tables.ratios(List.of("netty", "grpc:embedded", "grpc:memory", "socket:embedded",
                "socket:memory"))
            .stream().map(r -> r[0] + "/" + r[1]).toList();
    assertThat(ratios)
        .containsExactly(
            "grpc:embedded/grpc:memory",
            "socket:embedded/socket:memory",
            "grpc:memory/netty",
            "socket:memory/netty",
            "grpc:embedded/socket:embedded",
            "grpc:memory/socket:memory");
    assertThat(
            Tables.ratios(List.of("socket:redis", "socket:redis*2")).stream()
                .map(r -> r[0] + "/" + r[1]).toList())
        .containsExactly("socket:redis*2/socket:redis");
  }
}
