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
 * every transport on the class path, for seconds, writing valid JSON and the plot. It asserts
 * no figure — benchmarks never gate the build on speed.
 */
class BenchSmokeTest {

  @TempDir Path tmp;

  @Test
  void everyScenarioRunsOnEveryBindingAndWritesJsonAndPlot() throws Exception {
    List<String> transports = new ArrayList<>(List.of("inproc"));
    TransportProvider.all().forEach(p -> transports.add(p.name()));
    Path json = tmp.resolve("results.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    int status =
        BenchMain.run(
            List.of(
                "--transport", String.join(",", transports),
                "--duration", "1s",
                "--clients", "2",
                "--rate", "100,200",
                "--groups", "3",
                "--logins", "4",
                "--idle", "4",
                "--offline", "50",
                "--out", json.toString()),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));

    String err = stderr.toString(StandardCharsets.UTF_8);
    // Into the surefire report, to see where a slow or failed run spent its time.
    System.out.println(stdout.toString(StandardCharsets.UTF_8));
    System.out.println(err);
    assertThat(status).as("exit status; stderr:%n%s", err).isZero();
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("machine").path("cores").asInt()).isPositive();
    JsonNode scenarios = root.path("scenarios");
    assertThat(scenarios.size()).isEqualTo(BenchOptions.ALL_SCENARIOS.size());
    for (JsonNode s : scenarios) {
      for (String binding : transports) {
        assertThat(s.path("results").has(binding)).as("%s on %s", s.path("id"), binding).isTrue();
      }
      assertThat(s.path("results").has("netty")).isTrue();
    }
    assertThat(Files.readString(tmp.resolve("results-latency.svg"))).startsWith("<svg");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("== 7. Rate-limiter cost");
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
                "--server", "fork", "--no-baseline",
                "--scenario", "latency",
                "--duration", "1s", "--clients", "2", "--rate", "100",
                "--out", json.toString()),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8));
    String out = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(status).as("stderr:%n%s", stderr.toString(StandardCharsets.UTF_8)).isZero();
    JsonNode results = new ObjectMapper().readTree(json.toFile()).path("scenarios").get(0)
        .path("results");
    assertThat(results.has("grpc-tls")).isTrue();
    assertThat(results.has("socket-tls")).isTrue();
    assertThat(out).contains("grpc-tls/grpc").contains("socket-tls/socket");
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
