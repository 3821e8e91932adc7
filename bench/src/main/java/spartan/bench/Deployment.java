package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import spartan.core.ChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;

/**
 * Where the servers under test run: started fresh in this process for each scenario and
 * binding; in one child process ({@code --server fork}, a {@code bench serve}) so that server
 * figures leave the load generator out; or already running at {@code --host/--port} (a {@code
 * bench serve}, possibly pinned to other CPUs). Remote ports follow one layout, the one {@code
 * bench serve} binds: grpc at the base port, socket at base + 1, the relay at base + 2.
 *
 * <p>Closing stops a forked server. Not thread-safe; one run uses it from one thread.
 */
final class Deployment implements AutoCloseable {
  static final String RELAY = "netty";
  static final String INPROC = "inproc";
  /** Transports in the order of the remote port layout. */
  static final List<String> PORT_ORDER =
      List.of("grpc", "socket", RELAY, "grpc" + BenchTls.SUFFIX, "socket" + BenchTls.SUFFIX);
  static final int CLIENT_CALLBACK_THREADS = 8;
  private static final Duration FORK_START_TIMEOUT = Duration.ofSeconds(60);

  private final String host; // null: in-process
  private final Map<String, Integer> ports;
  private final Process child; // a forked bench serve, or null
  private final BenchTls tls; // null: no -tls bindings

  private Deployment(String host, Map<String, Integer> ports, Process child, BenchTls tls) {
    this.host = host;
    this.ports = Map.copyOf(ports);
    this.child = child;
    this.tls = tls;
  }

  /** Servers in this process; with {@code tlsDir}, a fresh CA there for the -tls bindings. */
  static Deployment inProcess(Path tlsDir) {
    return new Deployment(null, Map.of(), null, tlsDir == null ? null : BenchTls.create(tlsDir));
  }

  /** A running bench serve; with {@code tlsDir}, its CA there (bench serve --tls made it). */
  static Deployment remote(String host, int basePort, Path tlsDir) {
    Map<String, Integer> ports = new HashMap<>();
    for (String b : PORT_ORDER) {
      ports.put(b, remotePort(basePort, b));
    }
    return new Deployment(host, ports, null, tlsDir == null ? null : BenchTls.in(tlsDir));
  }

  /**
   * Starts {@code bench serve --port 0} in a child JVM with this one's class path and waits for
   * it to print its ports. The child exits when its stdin closes, so it dies with this process.
   */
  static Deployment forked(Path tlsDir) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                BenchMain.class.getName(),
                "serve",
                "--port",
                "0",
                "--exit-on-eof"));
    if (tlsDir != null) {
      command.addAll(List.of("--tls", "--tls-dir", tlsDir.toString()));
    }
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line =
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return out.readLine();
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  })
              .get(FORK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null || !line.startsWith("bench serve:")) {
        throw new IOException("forked server did not start: " + line);
      }
      Map<String, Integer> ports = new HashMap<>();
      for (String token : line.substring("bench serve:".length()).trim().split("\\s+")) {
        int eq = token.indexOf('=');
        if (eq > 0) {
          ports.put(token.substring(0, eq), Integer.parseInt(token.substring(eq + 1)));
        }
      }
      // The child wrote the TLS files before it printed its ports.
      return new Deployment("127.0.0.1", ports, p, tlsDir == null ? null : BenchTls.in(tlsDir));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
      throw new IOException("interrupted while starting the forked server", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      p.destroy();
      throw new IOException("forked server did not start: " + e, e);
    }
  }

  boolean isRemote() {
    return host != null;
  }

  boolean isForked() {
    return child != null;
  }

  @Override
  public void close() {
    if (child != null) {
      child.destroy();
      try {
        if (!child.waitFor(10, TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        child.destroyForcibly();
      }
    }
  }

  static int remotePort(int basePort, String binding) {
    int i = PORT_ORDER.indexOf(binding);
    if (i < 0) {
      throw new IllegalArgumentException("binding " + binding + " cannot be reached remotely");
    }
    return basePort + i;
  }

  private BenchTls tls() {
    if (tls == null) {
      throw new IllegalStateException("the -tls bindings need --tls");
    }
    return tls;
  }

  private int port(String binding) {
    Integer p = ports.get(binding);
    if (p == null) {
      throw new IllegalArgumentException("the server does not serve " + binding);
    }
    return p;
  }

  /** Whether {@code binding} can run here: the relay and inproc always; a transport if on the class path. */
  static boolean available(String binding) {
    if (binding.equals(RELAY) || binding.equals(INPROC)) {
      return true;
    }
    String transport = BenchTls.transportOf(binding);
    return TransportProvider.all().stream().anyMatch(p -> p.name().equals(transport));
  }

  /** Opens a target for {@code binding}; in-process, this starts its server. */
  Target open(String binding) {
    return isRemote()
        ? openRemote(binding)
        : openInProcess(binding, (service, blocking) -> service);
  }

  /**
   * Opens an in-process target whose transports expose {@code decorate(core)} instead of the
   * core itself, e.g. the core behind a rate limiter.
   *
   * @throws IllegalStateException if the servers are not in this process
   */
  Target openDecorated(String binding, BiFunction<ChatService, Executor, ChatService> decorate) {
    if (isRemote()) {
      throw new IllegalStateException("a decorated core needs the server in-process");
    }
    return openInProcess(binding, decorate);
  }

  private Target openInProcess(
      String binding, BiFunction<ChatService, Executor, ChatService> decorate) {
    ServerStats.Source local = ServerStats::sampleThisProcess;
    if (binding.equals(RELAY)) {
      RelayServer relay = RelayServer.start("127.0.0.1", 0);
      return new RelayTarget("127.0.0.1", relay.port(), relay);
    }
    CoreServer core = new CoreServer();
    if (binding.equals(INPROC)) {
      return new ChatTarget(
          INPROC,
          ChatTarget.inProcess(decorate.apply(core.service(), core.blockingExecutor())),
          local,
          true,
          core);
    }
    try {
      TransportProvider provider = TransportProvider.named(BenchTls.transportOf(binding));
      TransportServer server =
          provider.serve(
              decorate.apply(core.service(), core.blockingExecutor()),
              TransportOptions.of("127.0.0.1", 0, core.blockingExecutor())
                  .withTls(BenchTls.isTls(binding) ? tls().server() : null));
      ExecutorService callbacks = clientCallbacks();
      TransportOptions client =
          TransportOptions.of("127.0.0.1", server.port(), callbacks)
              .withTls(BenchTls.isTls(binding) ? tls().client() : null);
      return new ChatTarget(
          binding,
          () -> provider.connect(client),
          local,
          true,
          () -> {
            server.close();
            core.close();
            callbacks.shutdownNow();
          });
    } catch (IOException e) {
      core.close();
      throw new UncheckedIOException("could not start the " + binding + " server", e);
    } catch (RuntimeException e) {
      core.close();
      throw e;
    }
  }

  /**
   * One callback pool for every client connector of a target, so a thousand peers do not bring
   * a thousand pools (connectors that take one run event delivery on it).
   */
  private static ExecutorService clientCallbacks() {
    return Executors.newFixedThreadPool(CLIENT_CALLBACK_THREADS, BenchThreads.daemon("bench-client"));
  }

  private Target openRemote(String binding) {
    int relayPort = port(RELAY);
    if (binding.equals(RELAY)) {
      return new RelayTarget(host, relayPort, null);
    }
    if (binding.equals(INPROC)) {
      throw new IllegalArgumentException("inproc cannot be measured against a remote server");
    }
    TransportProvider provider = TransportProvider.named(BenchTls.transportOf(binding));
    ExecutorService callbacks = clientCallbacks();
    TransportOptions client =
        TransportOptions.of(host, port(binding), callbacks)
            .withTls(BenchTls.isTls(binding) ? tls().client() : null);
    // A bench serve answers server figures on its relay port; another server just has none.
    RelayTarget statsProbe = new RelayTarget(host, relayPort, null);
    return new ChatTarget(
        binding,
        () -> provider.connect(client),
        statsProbe::stats,
        false,
        () -> {
          statsProbe.close();
          callbacks.shutdownNow();
        });
  }
}
