package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.spi.TransportServer;

/**
 * The client keeps {@code .spartan} (keys, pins, the log) under {@code $HOME}, not under Java's
 * {@code user.home}, which ignores {@code $HOME}: so two people sharing one account, and tests,
 * can keep theirs apart. Runs the real {@code ClientMain} in a child JVM whose {@code user.home}
 * and {@code HOME} differ.
 */
class HomeDirectoryTest {
  private static final long EXIT_SECONDS = 60;

  @TempDir Path tmp;
  private final ChatFixture chat = new ChatFixture();
  private TransportServer server;

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  @Test
  void homeFromTheEnvironmentWinsOverJavasUserHome() {
    assertThat(ClientMain.home("/home/a", "/root")).isEqualTo(Path.of("/home/a"));
    assertThat(ClientMain.home(null, "/root")).isEqualTo(Path.of("/root"));
    assertThat(ClientMain.home(" ", "/root")).isEqualTo(Path.of("/root"));
  }

  @Test
  void keysAndTheLogGoUnderHomeAndKeysUnderDashDashKeys() throws Exception {
    server = chat.serve("socket", 0);
    Path home = tmp.resolve("home");
    Path javaHome = tmp.resolve("java-home");
    Path keys = tmp.resolve("keys");

    assertThat(client(home, javaHome, "alice")).isZero();
    assertThat(home.resolve(".spartan/keys/alice.identity")).isRegularFile();
    assertThat(home.resolve(".spartan/client.log")).content().contains("client starting");
    assertThat(javaHome).doesNotExist();
    // Only the user may read who they chat with.
    assertThat(Files.getPosixFilePermissions(home.resolve(".spartan")))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(home.resolve(".spartan/client.log")))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    assertThat(client(home, javaHome, "--keys", keys.toString(), "bob")).isZero();
    assertThat(keys.resolve("bob.identity")).isRegularFile();
    assertThat(home.resolve(".spartan/keys/bob.identity")).doesNotExist();
    assertThat(javaHome).doesNotExist();
  }

  /**
   * Runs {@code spartan client --transport socket --port P args…} with {@code HOME=home} and
   * {@code -Duser.home=javaHome} and no input (so it logs in, then quits as at Ctrl-D); returns the
   * exit status.
   */
  private int client(Path home, Path javaHome, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Duser.home=" + javaHome);
    // The production logging setup, not the tests' (logback-test.xml is on this class path).
    command.add("-Dlogback.configurationFile=logback.xml");
    command.add(ClientMain.class.getName());
    command.addAll(List.of("--transport", "socket", "--port", String.valueOf(server.port())));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "client", ".out");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(Files.createTempFile(tmp, "empty", ".in").toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    try {
      assertThat(p.waitFor(EXIT_SECONDS, TimeUnit.SECONDS))
          .as("client exits at end of input; output:%n%s", Files.readString(out))
          .isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(Files.readString(out)).contains("[Spartan] Connected to Spartan Server");
    return p.exitValue();
  }
}
