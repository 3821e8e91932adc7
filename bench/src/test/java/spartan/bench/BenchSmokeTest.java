package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.spi.TransportProvider;

/**
 * The benchmark still runs end to end: every scenario, on the baseline, the in-process core and
 * every transport on the class path over both local stores, for seconds, writing valid JSON and
 * the plot; and against forked {@code spartan server}s. It asserts no figure — benchmarks never
 * gate the build on speed.
 */
class BenchSmokeTest {

  @TempDir Path tmp;

  @Test
  void everyScenarioRunsOnEveryBindingAndStoreInProcessAndWritesJsonAndPlot() throws Exception {
    List<String> transports = new ArrayList<>(List.of("inproc"));
    TransportProvider.all().forEach(p -> transports.add(p.name()));
    Path json = tmp.resolve("results.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    int status =
        BenchMain.run(
            List.of(
                "--server", "inproc",
                "--transport", String.join(",", transports),
                "--duration", "500ms",
                "--warmup", "200ms",
                "--clients", "2",
                "--groups", "3",
                "--logins", "4",
                "--idle", "4",
                "--offline", "50",
                "--out", json.toString()),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));

    String err = stderr.toString(StandardCharsets.UTF_8);
    String out = stdout.toString(StandardCharsets.UTF_8);
    // Into the surefire report, to see where a slow or failed run spent its time.
    System.out.println(out);
    System.out.println(err);
    assertThat(status).as("exit status; stderr:%n%s", err).isZero();
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("machine").path("cores").asInt()).isPositive();
    JsonNode scenarios = root.path("scenarios");
    assertThat(scenarios.size()).isEqualTo(BenchOptions.ALL_SCENARIOS.size());
    for (JsonNode s : scenarios) {
      for (String transport : transports) {
        for (String store : List.of("embedded", "memory")) {
          assertThat(s.path("results").has(transport + ":" + store))
              .as("%s on %s:%s", s.path("id"), transport, store).isTrue();
        }
      }
      assertThat(s.path("results").has("netty")).isTrue();
    }
    assertThat(Files.readString(tmp.resolve("results-latency.svg"))).startsWith("<svg");
    assertThat(out)
        .contains("== 7. Rate-limiter cost")
        .contains("p99 @ 50%")
        .contains("socket:embedded/socket:memory")
        .contains("process CPU (server + generator) per 1M drained")
        .contains("in-process");
  }

  @Test
  void aForkedServerOverTheEmbeddedStoreReportsItsOwnCpu() throws Exception {
    Path json = tmp.resolve("forked.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int status =
        BenchMain.run(
            List.of(
                "--server", "fork", "--store", "embedded", "--transport", "socket",
                "--scenario", "throughput,latency,drain",
                "--duration", "500ms", "--warmup", "0", "--clients", "2", "--offline", "50",
                "--out", json.toString()),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    String out = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(status).as("stderr:%n%s", stderr.toString(StandardCharsets.UTF_8)).isZero();
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("settings").path("forked").asBoolean()).isTrue();
    JsonNode drain = root.path("scenarios").get(2).path("results").path("socket:embedded");
    assertThat(drain.path("figures").toString()).contains("server CPU per 1M drained");
    assertThat(out).contains("'spartan server' per store in its own JVM")
        .contains("server CPU per 1M msgs at capacity")
        .contains("socket:embedded");
  }

  @Test
  void tlsBindingsRunBesideThePlainOnesInAForkedServer() throws Exception {
    Path json = tmp.resolve("tls.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int status =
        BenchMain.run(
            List.of(
                "--tls", "--tls-dir", tmp.resolve("tls").toString(),
                "--server", "fork", "--store", "memory", "--no-baseline",
                "--scenario", "latency", "--warmup", "0",
                "--duration", "1s", "--clients", "2", "--rate", "100",
                "--out", json.toString()),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    String out = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(status).as("stderr:%n%s", stderr.toString(StandardCharsets.UTF_8)).isZero();
    JsonNode results = new ObjectMapper().readTree(json.toFile()).path("scenarios").get(0)
        .path("results");
    assertThat(results.has("grpc-tls:memory")).isTrue();
    assertThat(results.has("socket-tls:memory")).isTrue();
    assertThat(out).contains("grpc-tls:memory/grpc:memory").contains("socket-tls:memory/socket:memory");
    assertThat(tmp.resolve("tls").resolve("ca.pem")).exists();
  }

  @Test
  void badOptionsAreRejectedWithTheirName() throws Exception {
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int status =
        BenchMain.run(
            List.of("--duration", "forever"),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    assertThat(status).isEqualTo(2);
    assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("--duration");
  }
}
