package spartan.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code spartan server}: loads the configuration, starts the server, stops it on SIGTERM/Ctrl-C. */
public final class ServerMain {
  private static final Logger log = LoggerFactory.getLogger(ServerMain.class);
  /** The start-up line users and scripts look for; logged bare (see logback.xml). */
  private static final Logger banner = LoggerFactory.getLogger("spartan.banner");

  private ServerMain() {}

  public static void main(String[] args) {
    int code = run(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(String[] args) {
    CommandLine cli;
    ServerConfig config;
    try {
      cli = CommandLine.parse(List.of(args), defaultConfig());
      if (cli.help) {
        banner.info(CommandLine.USAGE.stripTrailing());
        return 0;
      }
      config = ConfigLoader.load(cli.config, cli.overrides, cli.flags);
    } catch (ConfigException e) {
      log.error("Bad configuration: {}", e.getMessage());
      return 2;
    }

    SpartanServer server;
    try {
      server = SpartanServer.start(config);
    } catch (ConfigException e) {
      log.error("Bad configuration: {}", e.getMessage());
      return 2;
    } catch (Exception e) {
      log.error("Spartan server failed to start: {}", e.getMessage(), e);
      return 1;
    }

    banner.info(startedLine(server.ports()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Shutting down…");
                  server.close();
                  stopped.countDown();
                },
                "spartan-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** "Spartan server started on port 3000." — or both ports, naming each transport. */
  static String startedLine(Map<String, Integer> ports) {
    if (ports.size() == 1) {
      return "Spartan server started on port " + ports.values().iterator().next() + ".";
    }
    StringBuilder sb = new StringBuilder("Spartan server started on ");
    int i = 0;
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      if (i++ > 0) {
        sb.append(" and ");
      }
      sb.append("port ").append(e.getValue()).append(" (").append(e.getKey()).append(')');
    }
    return sb.append('.').toString();
  }

  private static Path defaultConfig() {
    String home = System.getProperty("spartan.home");
    Path candidate = home != null ? Path.of(home, "config.yaml") : Path.of("config.yaml");
    return Files.exists(candidate) ? candidate : Path.of("config.yaml");
  }
}
