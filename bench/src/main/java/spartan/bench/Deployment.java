package spartan.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * Where the servers under test run, as the {@link Placement} decided:
 *
 * <ul>
 *   <li><b>forked</b>: each store's server is {@code spartan server} itself in a child JVM (a
 *       {@link ServerNode}), started at its first use and kept for the whole run, pinned apart
 *       from the generator where the machine can; with {@code --nodes}, N of them on one private
 *       durable {@code redis-server}, one group at a time; the relay in a {@code bench serve
 *       --relay-only} child beside them;
 *   <li><b>in-process</b>: a {@link CoreServer} (the bare core over the memory or embedded store)
 *       and the relay in this JVM, fresh for each scenario and binding;
 *   <li><b>remote</b>: a {@code bench serve} already running at {@code --host/--port}, whose
 *       ports follow one layout: grpc at the base port, socket at base + 1, the relay at base + 2.
 * </ul>
 *
 * <p>Closing stops every child and deletes their files. Not thread-safe; one run uses it from
 * one thread.
 */
final class Deployment implements AutoCloseable {
  static final String RELAY = "netty";
  static final String INPROC = "inproc";
  /** Transports in the order of the remote port layout. */
  static final List<String> PORT_ORDER =
      List.of("grpc", "socket", RELAY, "grpc" + BenchTls.SUFFIX, "socket" + BenchTls.SUFFIX);
  static final int CLIENT_CALLBACK_THREADS = 8;
  private static final Duration FORK_START_TIMEOUT = Duration.ofSeconds(60);

  private final Placement placement;
  private final String host; // remote only
  private final Map<String, Integer> remotePorts;
  private final BenchTls tls; // null: no -tls bindings
  private final Path tlsDir;
  private final Path workDir; // forked only: configurations, data, logs
  private final List<String> serverJava;
  /** Forked server groups by {@link #groupKey}; at most one with several nodes at a time. */
  private final Map<String, List<ServerNode>> groups = new LinkedHashMap<>();
  private Process relayChild;
  private int relayPort;
  private RedisServerProcess redis;

  private Deployment(
      Placement placement,
      String host,
      Map<String, Integer> remotePorts,
      BenchTls tls,
      Path tlsDir,
      Path workDir,
      List<String> serverJava) {
    this.placement = placement;
    this.host = host;
    this.remotePorts = Map.copyOf(remotePorts);
    this.tls = tls;
    this.tlsDir = tlsDir;
    this.workDir = workDir;
    this.serverJava = List.copyOf(serverJava);
  }

  /** Servers in this process; with {@code tlsDir}, a fresh CA there for the -tls bindings. */
  static Deployment inProcess(Placement placement, Path tlsDir) {
    return new Deployment(placement, null, Map.of(),
        tlsDir == null ? null : BenchTls.create(tlsDir), tlsDir, null, List.of());
  }

  /** A running bench serve; with {@code tlsDir}, its CA there (bench serve --tls made it). */
  static Deployment remote(Placement placement, String host, int basePort, Path tlsDir) {
    Map<String, Integer> ports = new HashMap<>();
    for (String b : PORT_ORDER) {
      ports.put(b, remotePort(basePort, b));
    }
    return new Deployment(placement, host, ports,
        tlsDir == null ? null : BenchTls.in(tlsDir), tlsDir, null, List.of());
  }

  /**
   * Forked servers, started as bindings need them; pins this JVM to the generator's CPUs first.
   * With {@code tlsDir}, a fresh CA there that the children serve with.
   */
  static Deployment forked(Placement placement, Path tlsDir, List<String> serverJava)
      throws IOException {
    placement.pinGenerator();
    Path work = Files.createTempDirectory("spartan-bench-");
    Deployment d =
        new Deployment(placement, null, Map.of(),
            tlsDir == null ? null : BenchTls.create(tlsDir), tlsDir, work, serverJava);
    // Ctrl-C skips the caller's close: stop the children and delete their data anyway.
    Runtime.getRuntime().addShutdownHook(new Thread(d::close, "bench-deployment-close"));
    return d;
  }

  boolean isRemote() {
    return host != null;
  }

  boolean isForked() {
    return workDir != null;
  }

  boolean isInProcess() {
    return !isRemote() && !isForked();
  }

  Placement placement() {
    return placement;
  }

  /** One line for the tables' header: where the servers are, and what was pinned where. */
  String describe() {
    if (isRemote()) {
      return "remote " + host + ":" + remotePorts.get("grpc") + "; " + placement.reason();
    }
    if (isForked()) {
      return "'spartan server' per store in its own JVM, started once for the run; "
          + placement.reason();
    }
    return "the bare core in the generator's JVM, fresh per scenario; " + placement.reason();
  }

  /** Idempotent; also run by a shutdown hook when forked. */
  @Override
  public synchronized void close() {
    groups.values().forEach(Deployment::closeAll);
    groups.clear();
    if (relayChild != null) {
      relayChild.destroy();
      try {
        if (!relayChild.waitFor(10, TimeUnit.SECONDS)) {
          relayChild.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        relayChild.destroyForcibly();
      }
      relayChild = null;
    }
    if (redis != null) {
      redis.close();
      redis = null;
    }
    if (workDir != null && Files.exists(workDir)) {
      CoreServer.deleteTree(workDir);
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

  /**
   * Whether {@code binding} can run here, or why not: the relay always; a transport if on the
   * class path; {@code inproc} only in-process; the redis store only forked.
   */
  String unavailable(Binding binding) {
    if (binding.isRelay()) {
      return null;
    }
    if (binding.transport().equals(INPROC)) {
      return isInProcess() ? null : "inproc needs the server in-process";
    }
    if (binding.store().equals("redis") && !isForked()) {
      return "the redis store needs forked servers (" + placement.reason() + ")";
    }
    String wire = binding.wire();
    return TransportProvider.all().stream().anyMatch(p -> p.name().equals(wire))
        ? null
        : "transport not on the class path";
  }

  /** Opens a target for {@code binding}; in-process, this starts its server. */
  Target open(Binding binding) throws IOException {
    if (isRemote()) {
      return openRemote(binding);
    }
    if (isForked()) {
      return openForked(binding);
    }
    return openInProcess(binding, (service, blocking) -> service);
  }

  /**
   * Opens an in-process target whose transports expose {@code decorate(core)} instead of the
   * core itself, e.g. the core behind a rate limiter.
   *
   * @throws IllegalStateException if the servers are not in this process
   */
  Target openDecorated(Binding binding, BiFunction<ChatService, Executor, ChatService> decorate) {
    if (!isInProcess()) {
      throw new IllegalStateException("a decorated core needs the server in-process");
    }
    return openInProcess(binding, decorate);
  }

  private Target openInProcess(
      Binding binding, BiFunction<ChatService, Executor, ChatService> decorate) {
    ServerStats.Source local = ServerStats::sampleThisProcess;
    if (binding.isRelay()) {
      RelayServer relay = RelayServer.start("127.0.0.1", 0);
      return new RelayTarget("127.0.0.1", relay.port(), relay);
    }
    CoreServer core = new CoreServer(binding.store());
    if (binding.transport().equals(INPROC)) {
      return new ChatTarget(
          binding.name(),
          ChatTarget.inProcess(decorate.apply(core.service(), core.blockingExecutor())),
          local,
          true,
          core);
    }
    try {
      TransportProvider provider = TransportProvider.named(binding.wire());
      TransportServer server =
          provider.serve(
              decorate.apply(core.service(), core.blockingExecutor()),
              TransportOptions.of("127.0.0.1", 0, core.blockingExecutor())
                  .withTls(binding.isTls() ? tls().server() : null));
      ExecutorService callbacks = clientCallbacks();
      TransportOptions client =
          TransportOptions.of("127.0.0.1", server.port(), callbacks)
              .withTls(binding.isTls() ? tls().client() : null);
      return new ChatTarget(
          binding.name(),
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

  private Target openRemote(Binding binding) {
    int relayPort = remotePorts.get(RELAY);
    if (binding.isRelay()) {
      return new RelayTarget(host, relayPort, null);
    }
    if (binding.transport().equals(INPROC)) {
      throw new IllegalArgumentException("inproc cannot be measured against a remote server");
    }
    TransportProvider provider = TransportProvider.named(binding.wire());
    ExecutorService callbacks = clientCallbacks();
    TransportOptions client =
        TransportOptions.of(host, remotePorts.get(binding.transport()), callbacks)
            .withTls(binding.isTls() ? tls().client() : null);
    // A bench serve answers server figures on its relay port; another server just has none.
    RelayTarget statsProbe = new RelayTarget(host, relayPort, null);
    return new ChatTarget(
        binding.name(),
        () -> provider.connect(client),
        statsProbe::stats,
        false,
        () -> {
          statsProbe.close();
          callbacks.shutdownNow();
        });
  }

  private Target openForked(Binding binding) throws IOException {
    if (binding.isRelay()) {
      // The relay child answers its own process's figures on its port, as a bench serve does.
      return new RelayTarget("127.0.0.1", relay(), null);
    }
    List<ServerNode> nodes = group(binding);
    TransportProvider provider = TransportProvider.named(binding.wire());
    ExecutorService callbacks = clientCallbacks();
    TransportOptions first =
        TransportOptions.of("127.0.0.1", nodes.get(0).port(binding.wire()), callbacks)
            .withTls(binding.isTls() ? tls().client() : null);
    TransportOptions last =
        TransportOptions.of("127.0.0.1", nodes.get(nodes.size() - 1).port(binding.wire()), callbacks)
            .withTls(binding.isTls() ? tls().client() : null);
    List<ProcessHandle> processes = nodes.stream().map(ServerNode::handle).toList();
    RedisServerProcess shared = binding.store().equals("redis") ? redis : null;
    return new ChatTarget(
        binding.name(),
        side -> provider.connect(side == Target.Side.SENDER ? first : last),
        nodes.size(),
        shared == null ? null : shared::info,
        gc -> ServerStats.sampleProcesses(processes, gc),
        false,
        callbacks::shutdownNow);
  }

  /** The key of the server group a binding runs on: store, TLS, nodes. */
  static String groupKey(Binding b) {
    return b.store() + (b.isTls() ? "-tls" : "") + "*" + b.nodes();
  }

  /**
   * The running server nodes for {@code binding}, started if need be. A group of several nodes
   * stops any other such group first, so idle nodes never add to another group's figures.
   */
  private List<ServerNode> group(Binding binding) throws IOException {
    String key = groupKey(binding);
    List<ServerNode> running = groups.get(key);
    if (running != null) {
      return running;
    }
    if (binding.nodes() > 1) {
      groups.entrySet().removeIf(e -> {
        if (e.getValue().size() > 1) {
          closeAll(e.getValue());
          return true;
        }
        return false;
      });
    }
    String redisUrl = null;
    if (binding.store().equals("redis")) {
      if (redis == null) {
        redis = RedisServerProcess.startDurable(workDir.resolve("redis"), placement.serverPrefix());
      }
      redisUrl = redis.url();
    }
    List<ServerNode> nodes = new ArrayList<>();
    try {
      for (int i = 1; i <= binding.nodes(); i++) {
        String name = key.replace('*', 'x') + "-node" + i;
        nodes.add(
            ServerNode.start(
                name,
                placement,
                binding.store(),
                redisUrl,
                workDir,
                binding.isTls() ? tlsDir : null,
                serverJava));
      }
    } catch (IOException | RuntimeException e) {
      closeAll(nodes);
      throw e;
    }
    groups.put(key, nodes);
    return nodes;
  }

  private static void closeAll(List<ServerNode> nodes) {
    nodes.forEach(ServerNode::close);
  }

  /**
   * Starts {@code bench serve --relay-only} in a child JVM (pinned like the server nodes) once,
   * and returns its port. The child exits when its stdin closes, so it dies with this process.
   */
  private int relay() throws IOException {
    if (relayChild != null) {
      return relayPort;
    }
    List<String> command = new ArrayList<>(placement.serverPrefix());
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            BenchMain.class.getName(),
            "serve",
            "--relay-only",
            "--port",
            "0",
            "--exit-on-eof"));
    Process p =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line =
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      // Anything before the announcement (a JVM warning) is passed over.
                      for (String l; (l = out.readLine()) != null; ) {
                        if (l.startsWith("bench serve:")) {
                          return l;
                        }
                      }
                      return null;
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  })
              .get(FORK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Integer port = line == null ? null : servePorts(line).get(RELAY);
      if (port == null) {
        throw new IOException("the forked relay did not start: " + line);
      }
      BenchThreads.drain(out, "bench-relay-output");
      relayChild = p;
      relayPort = port;
      return port;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
      throw new IOException("interrupted while starting the forked relay", e);
    } catch (ExecutionException | TimeoutException | IOException | RuntimeException e) {
      p.destroy();
      throw e instanceof IOException io ? io : new IOException("the forked relay did not start: " + e, e);
    }
  }

  /** The ports a {@code bench serve} line announces: {@code bench serve: grpc=1 netty=3 on …}. */
  static Map<String, Integer> servePorts(String line) {
    Map<String, Integer> ports = new HashMap<>();
    if (!line.startsWith("bench serve:")) {
      return ports;
    }
    for (String token : line.substring("bench serve:".length()).trim().split("\\s+")) {
      int eq = token.indexOf('=');
      if (eq > 0) {
        ports.put(token.substring(0, eq), Integer.parseInt(token.substring(eq + 1)));
      }
    }
    return ports;
  }
}
