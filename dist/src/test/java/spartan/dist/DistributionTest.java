package spartan.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as an operator gets it: unpacked into an empty directory, {@code bin/spartan
 * server} runs from there on nothing but a Java runtime (no Maven, no source tree), serves a
 * login over the socket port and metrics over the admin port, and stops cleanly on SIGTERM.
 */
class DistributionTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private Path unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("spartan.tarball"));
    assertThat(tarball).isRegularFile();
    Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", dir.toString())
        .redirectErrorStream(true).start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).as(new String(tar.getInputStream().readAllBytes())).isZero();
    return dir.resolve("spartan-" + System.getProperty("spartan.version"));
  }

  private ProcessBuilder spartan(Path home, String... args) {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/spartan").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    // Only a Java runtime: the one running this test, through JAVA_HOME, and no Maven on PATH.
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("PATH", "/usr/bin:/bin");
    return pb;
  }

  @Test
  void theTarballHoldsTheLauncherTheLibrariesTheConfigAndTheDocs() throws Exception {
    Path home = unpack();
    assertThat(Files.getPosixFilePermissions(home.resolve("bin/spartan")))
        .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
    for (String f : List.of("config.yaml", "README.md", "PROTOCOL.md", "SECURITY.md",
        "packaging/spartan.service", "packaging/Containerfile")) {
      assertThat(home.resolve(f)).isRegularFile();
    }
    try (var jars = Files.list(home.resolve("lib"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("spartan-server-"))
          .anyMatch(n -> n.startsWith("spartan-client-"))
          .anyMatch(n -> n.startsWith("spartan-bench-"))
          .anyMatch(n -> n.startsWith("spartan-transport-grpc-"))
          .anyMatch(n -> n.startsWith("spartan-transport-socket-"))
          .anyMatch(n -> n.startsWith("micrometer-registry-prometheus-"));
    }
    for (String command : List.of("server", "client", "bench")) {
      Process p = spartan(home, command, "--help").start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(command + " --help:\n" + out).isZero();
      assertThat(out).as(command + " --help").containsIgnoringCase("usage");
    }
  }

  @Test
  void theServerRunsFromTheUnpackedDirectoryAndStopsOnSigterm() throws Exception {
    Path home = unpack();
    Process server = spartan(home, "server", "--grpc-port", "0", "--socket-port", "0",
        "--metrics-port", "0", "--data", dir.resolve("data").toString()).start();
    Output out = new Output(server);
    try {
      String started = out.await("Spartan server started on ");
      String admin = out.await("Metrics and health on ");
      int socketPort = number(started, "port (\\d+) \\(socket\\)");
      int adminPort = number(admin, "http://127\\.0\\.0\\.1:(\\d+)/");

      assertThat(loginOverTheSocket(socketPort)).contains("\"ok\":true").contains("\"user\":\"alice\"");
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> metrics = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
              .timeout(WAIT).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("spartan_logins_total{result=\"ok\"} 1");
      HttpResponse<String> ready = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready"))
              .timeout(WAIT).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);

      // The terminal belongs to the person chatting: the client logs to its file, never here.
      Path userHome = Files.createDirectories(dir.resolve("home"));
      ProcessBuilder client =
          spartan(home, "client", "--transport", "socket", "--port", String.valueOf(socketPort),
              "alice")
              .redirectInput(Files.createFile(dir.resolve("no-input")).toFile());
      client.environment().put("HOME", userHome.toString());
      Process c = client.start();
      String screen = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(c.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(screen).contains("[Spartan] Connected to Spartan Server");
      assertThat(screen.lines().filter(l -> !l.isBlank()))
          .as("client screen:%n%s", screen)
          .allSatisfy(l -> assertThat(l).doesNotContain("logback").doesNotContain(" INFO "));
      assertThat(userHome.resolve(".spartan/client.log")).content().contains("client starting");

      // SIGTERM through the handle, which leaves our end of the output open to read the goodbye.
      server.toHandle().destroy();
      assertThat(server.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(server.exitValue()).isEqualTo(143);
      out.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(out.text()).contains("Spartan server stopped.");
      assertThat(dir.resolve("data/spartan.db")).isRegularFile();
    } finally {
      server.destroyForcibly();
    }
  }

  private static String loginOverTheSocket(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(30_000);
      OutputStream o = s.getOutputStream();
      o.write("{\"id\":1,\"op\":\"login\",\"user\":\"alice\"}\n".getBytes(StandardCharsets.UTF_8));
      o.flush();
      BufferedReader in = new BufferedReader(
          new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      return in.readLine();
    }
  }

  private static int number(String line, String regex) {
    Matcher m = Pattern.compile(regex).matcher(line);
    assertThat(m.find()).as(line + " ~ " + regex).isTrue();
    return Integer.parseInt(m.group(1));
  }

  /** A process's combined output, read as it comes. */
  private static final class Output {
    private final StringBuilder text = new StringBuilder(); // guarded by itself
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    Output(Process p) {
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            synchronized (text) {
              text.append(line).append('\n');
              text.notifyAll();
            }
          }
        } catch (IOException e) {
          // the process is gone
        } finally {
          synchronized (text) {
            ended.complete(null);
            text.notifyAll();
          }
        }
      }, "dist-server-output");
      t.setDaemon(true);
      t.start();
    }

    /** The first line starting with {@code prefix}, waiting up to a minute for it. */
    String await(String prefix) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      synchronized (text) {
        while (true) {
          for (String line : text.toString().split("\n")) {
            int at = line.indexOf(prefix);
            if (at >= 0) {
              return line.substring(at);
            }
          }
          long left = deadline - System.nanoTime();
          if (ended.isDone() || left <= 0) {
            throw new AssertionError("no line with '" + prefix + "' in:\n" + text);
          }
          text.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
      }
    }

    String text() {
      synchronized (text) {
        return text.toString();
      }
    }
  }
}
