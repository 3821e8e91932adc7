package spartan.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;

/**
 * {@code spartan bench}: measures the gRPC and socket transports over each store the same way in
 * one run, next to a bare Netty relay, prints one table per scenario and writes every figure to
 * JSON with a latency plot beside it. {@code spartan bench serve} runs a bare core alone, so it
 * can be pinned by hand; {@code spartan bench node} is a forked {@code spartan server}; {@code
 * spartan bench jmh} runs the micro-benchmarks.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    useOwnLogging();
    List<String> a = List.of(args);
    if (!a.isEmpty() && a.get(0).equals("serve")) {
      serve(a.subList(1, a.size()), System.out);
      return;
    }
    if (!a.isEmpty() && a.get(0).equals("node")) {
      node(a.subList(1, a.size()));
      return;
    }
    if (!a.isEmpty() && a.get(0).equals("jmh")) {
      // The micro-benchmarks: JMH's own runner and options, e.g. `jmh WireCodec -f 1`.
      org.openjdk.jmh.Main.main(a.subList(1, a.size()).toArray(String[]::new));
      return;
    }
    System.exit(run(a, System.out, System.err));
  }

  /**
   * The server's jar, on this class path for the forked nodes, carries a logback.xml too; name
   * this module's, unless the launcher named one, so logback neither picks by class-path order
   * nor prints its warning about the duplicate.
   */
  private static void useOwnLogging() {
    if (System.getProperty("logback.configurationFile") != null) {
      return;
    }
    try {
      java.net.URL codeSource = BenchMain.class.getProtectionDomain().getCodeSource().getLocation();
      String base = codeSource.toString();
      java.net.URL own =
          base.endsWith(".jar")
              ? new java.net.URL("jar:" + base + "!/logback.xml")
              : new java.net.URL(base + (base.endsWith("/") ? "" : "/") + "logback.xml");
      System.setProperty("logback.configurationFile", own.toString());
    } catch (java.net.MalformedURLException | RuntimeException e) {
      // logback's own search then decides
    }
  }

  static List<Scenario> scenarios(Deployment deployment) {
    // Capacity first: latency is taken at fractions of it.
    return List.of(
        new ThroughputScenario(),
        new LatencyScenario(),
        new FanoutScenario(),
        new StormScenario(),
        new IdleScenario(),
        new DrainScenario(),
        new LimiterScenario(deployment));
  }

  /**
   * Runs the benchmark. Returns the exit status: 0 when every scenario ran on every binding, 1
   * when one failed (its table says which), 2 for a bad command line.
   */
  static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
    if (args.contains("--help") || args.contains("-h")) {
      out.print(BenchOptions.USAGE);
      return 0;
    }
    BenchOptions o;
    try {
      o = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("spartan bench: " + e.getMessage());
      err.print(BenchOptions.USAGE);
      return 2;
    }
    Path tlsDir = o.tls() ? o.tlsDir() : null;
    Placement placement = Placement.here(o.server(), o.host() != null);
    // Before pinning: afterwards this JVM sees only the generator's CPUs.
    MachineInfo machine = MachineInfo.here();
    try (Deployment deployment =
        o.host() != null
            ? Deployment.remote(placement, o.host(), o.port(), tlsDir)
            : placement.fork()
                ? Deployment.forked(placement, tlsDir, o.serverJava())
                : Deployment.inProcess(placement, tlsDir)) {
      return run(o, args, deployment, machine, out, err);
    }
  }

  /**
   * {@code bench node SERVER-ARGS}: {@code spartan server} (found at run time, like the
   * transports) with the given arguments, ended through its own shutdown when stdin closes, so
   * a forked node never outlives the benchmark that started it.
   */
  static void node(List<String> serverArgs) throws Exception {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // discard
                }
              } catch (java.io.IOException e) {
                // parent gone
              }
              System.exit(0);
            },
            "bench-node-stdin");
    watcher.setDaemon(true);
    watcher.start();
    Class.forName("spartan.server.ServerMain")
        .getMethod("main", String[].class)
        .invoke(null, (Object) serverArgs.toArray(String[]::new));
  }

  private static int run(
      BenchOptions o,
      List<String> args,
      Deployment deployment,
      MachineInfo machine,
      PrintStream out,
      PrintStream err)
      throws Exception {
    List<String> notes = new ArrayList<>();
    List<String> bindings = new ArrayList<>();
    for (Binding b : o.bindings()) {
      String why = deployment.unavailable(b);
      if (why == null) {
        bindings.add(b.name());
      } else {
        notes.add(b + ": skipped, " + why);
        err.println("[bench] " + b + ": skipped, " + why);
      }
    }
    if (bindings.stream().noneMatch(b -> !b.equals(Deployment.RELAY))) {
      err.println("[bench] no transport to measure; only the baseline runs");
    }
    Instant started = Instant.now();
    String runTag = Long.toString(started.getEpochSecond() % 46656, 36);
    UserNames remoteNames = new UserNames("b" + runTag);
    out.printf("Spartan bench: %s; %d cores, %s; JDK %s; load %s%n", String.join(", ", bindings),
        machine.cores(), machine.cpuModel(), machine.jdk().get("java.version"),
        machine.loadAverage());
    out.printf("server: %s%n", deployment.describe());
    out.printf("duration %ss per timed scenario and binding, after a %ss warm-up%s%n",
        o.duration().toMillis() / 1000.0,
        o.warmup().toMillis() / 1000.0,
        o.repeat() > 1 ? "; medians of " + o.repeat() + " runs" : "");
    err.println("[bench] " + deployment.placement().reason());

    int failures = 0;
    List<Map<String, Object>> scenarioResults = new ArrayList<>();
    Map<String, Map<String, Outcome>> earlier = new LinkedHashMap<>(); // binding -> id -> outcome
    Map<String, List<OpenLoop.Point>> latencyPoints = new LinkedHashMap<>();
    for (Scenario s : scenarios(deployment)) {
      if (!o.scenarios().contains(s.id())) {
        continue;
      }
      Map<String, List<Outcome>> runs = new LinkedHashMap<>();
      bindings.forEach(b -> runs.put(b, new ArrayList<>()));
      // Repetitions interleave the bindings, so a shared machine's load drifts over all alike.
      for (int rep = 1; rep <= o.repeat(); rep++) {
        for (String b : bindings) {
          err.printf("[bench] %s on %s%s ...%n", s.id(), b, o.repeat() > 1 ? " (run " + rep + ")" : "");
          long t0 = System.nanoTime();
          Outcome outcome;
          // Servers that outlive a scenario keep its users (and their unread messages): new names.
          UserNames names = deployment.isInProcess() ? new UserNames("b") : remoteNames;
          Map<String, Outcome> mine = earlier.computeIfAbsent(b, k -> new LinkedHashMap<>());
          try (Target t = deployment.open(Binding.parse(b))) {
            outcome = s.run(t, o, names, mine);
          } catch (Exception | AssertionError e) {
            failures++;
            outcome = Outcome.empty().note("FAILED: " + e);
            err.printf("[bench] %s on %s failed: %s%n", s.id(), b, e);
          }
          runs.get(b).add(outcome);
          err.printf("[bench] %s on %s done in %.1f s%n", s.id(), b, (System.nanoTime() - t0) / 1e9);
        }
      }
      Map<String, Outcome> byBinding = new LinkedHashMap<>();
      for (String b : bindings) {
        Outcome median = Outcome.median(runs.get(b));
        byBinding.put(b, median);
        earlier.get(b).put(s.id(), median);
        if (s.id().equals("latency")) {
          List<List<OpenLoop.Point>> perRun = new ArrayList<>();
          for (Outcome oc : runs.get(b)) {
            if (oc.detail().get("points") instanceof List<?> pts) {
              List<OpenLoop.Point> typed = new ArrayList<>();
              pts.forEach(p -> typed.add((OpenLoop.Point) p));
              perRun.add(typed);
            }
          }
          if (!perRun.isEmpty()) {
            latencyPoints.put(b, OpenLoop.medianPoints(perRun));
          }
        }
      }
      Tables.print(out, s, o, byBinding);
      Map<String, Object> sr = new LinkedHashMap<>();
      sr.put("id", s.id());
      sr.put("title", s.title());
      sr.put("method", s.method(o));
      sr.put("results", byBinding);
      scenarioResults.add(sr);
    }

    Map<String, Object> root = new LinkedHashMap<>();
    root.put("tool", "spartan bench");
    root.put("command", "spartan bench " + String.join(" ", args));
    root.put("startedAt", started.toString());
    root.put("finishedAt", Instant.now().toString());
    root.put("loadAverageAtEnd", MachineInfo.readLoadAverage());
    root.put("machine", machine);
    root.put("settings", settings(o, deployment, bindings));
    root.put("notes", notes);
    root.put("scenarios", scenarioResults);
    ResultsFile.write(o.out(), root);
    out.println();
    out.println("results: " + o.out());
    if (!latencyPoints.isEmpty()) {
      LatencyPlot.write(o.plot(), latencyPoints,
          machine.cores() + " cores, " + machine.cpuModel() + ", duration " + o.duration().toMillis()
              / 1000.0 + " s");
      out.println("plot:    " + o.plot());
    }
    return failures == 0 ? 0 : 1;
  }

  private static Map<String, Object> settings(BenchOptions o, Deployment d, List<String> bindings) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("bindings", bindings);
    s.put("scenarios", o.scenarios());
    s.put("durationSeconds", o.duration().toMillis() / 1000.0);
    s.put("repeat", o.repeat());
    s.put("clients", o.clients());
    s.put("rates", o.rates());
    s.put("groupSizes", o.groupSizes());
    s.put("logins", o.logins());
    s.put("idleSessions", o.idleSessions());
    s.put("offlineMessages", o.offlineMessages());
    s.put("payloadChars", o.payloadChars());
    s.put("server", d.describe());
    s.put("forked", d.isForked());
    s.put("serverCpus", d.placement().serverCpus());
    s.put("generatorCpus", d.placement().generatorCpus());
    s.put("serverJavaOptions", o.serverJava());
    s.put("tls", o.tls() ? "JDK provider, TLS 1.3 (1.2 allowed), P-256 ECDSA certificate" : "off");
    s.put("stores", o.stores());
    s.put("nodes", o.nodes().isEmpty() ? List.of(1) : o.nodes());
    if (d.isForked()) {
      s.put("serverConfig", ServerNode.CONFIG);
    }
    s.put("coreBlockingThreads", spartan.core.service.ServerThreads.blocking());
    s.put("coreDeliveryThreads", spartan.core.service.ServerThreads.delivery());
    s.put("warmUpSeconds", o.warmup().toMillis() / 1000.0);
    s.put("latencyLoads", o.rates().isEmpty() ? o.loads() : List.of());
    s.put("latencySecondsPerRate", LatencyScenario.perPoint(o).toMillis() / 1000.0);
    s.put("throughputSecondsPerStep", ThroughputScenario.step(o).toMillis() / 1000.0);
    s.put("throughputP99LimitMs", ThroughputScenario.P99_LIMIT_MS);
    return s;
  }

  /**
   * {@code bench serve [--port P] [--store memory|embedded] [--tls [--tls-dir DIR]]
   * [--relay-only] [--exit-on-eof]}: one bare core over the store, exposed over every transport
   * on the class path (grpc at P, socket at P + 1, with TLS grpc-tls at P + 3 and socket-tls at
   * P + 4) and the relay at P + 2, on 127.0.0.1, until the process is stopped (or, with {@code
   * --exit-on-eof}, its stdin closes); {@code --relay-only} serves the relay alone, as the forked
   * baseline does. P = 0 picks free ports.
   */
  static void serve(List<String> args, PrintStream out) throws Exception {
    int base = 0;
    boolean exitOnEof = false;
    boolean tls = false;
    boolean relayOnly = false;
    String store = "memory";
    Path tlsDir = Path.of("bench-out/tls");
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--port") && i + 1 < args.size()) {
        base = Integer.parseInt(args.get(++i));
      } else if (args.get(i).equals("--store") && i + 1 < args.size()) {
        store = args.get(++i);
      } else if (args.get(i).equals("--relay-only")) {
        relayOnly = true;
      } else if (args.get(i).equals("--exit-on-eof")) {
        exitOnEof = true;
      } else if (args.get(i).equals("--tls")) {
        tls = true;
      } else if (args.get(i).equals("--tls-dir") && i + 1 < args.size()) {
        tlsDir = Path.of(args.get(++i));
      } else {
        throw new IllegalArgumentException(
            "usage: spartan bench serve [--port P] [--store memory|embedded] [--tls [--tls-dir DIR]]"
                + " [--relay-only] [--exit-on-eof]");
      }
    }
    BenchTls benchTls = tls ? BenchTls.create(tlsDir) : null;
    if (base < 0 || base > 65533) {
      throw new IllegalArgumentException("--port must be 0-65533, was " + base);
    }
    CoreServer core = relayOnly ? null : new CoreServer(store);
    List<AutoCloseable> running = new ArrayList<>();
    StringBuilder where = new StringBuilder();
    List<String> names = new ArrayList<>();
    if (!relayOnly) {
      names.addAll(List.of("grpc", "socket"));
    }
    if (tls && !relayOnly) {
      names.addAll(List.of("grpc" + BenchTls.SUFFIX, "socket" + BenchTls.SUFFIX));
    }
    for (String name : names) {
      String wire = BenchTls.transportOf(name);
      if (TransportProvider.all().stream().noneMatch(p -> p.name().equals(wire))) {
        continue;
      }
      int port = base == 0 ? 0 : Deployment.remotePort(base, name);
      TransportServer server =
          TransportProvider.named(BenchTls.transportOf(name))
              .serve(
                  core.service(),
                  TransportOptions.of("127.0.0.1", port, core.blockingExecutor())
                      .withTls(BenchTls.isTls(name) ? benchTls.server() : null));
      running.add(server);
      where.append(name).append('=').append(server.port()).append(' ');
    }
    RelayServer relay =
        RelayServer.start("127.0.0.1", base == 0 ? 0 : Deployment.remotePort(base, Deployment.RELAY));
    running.add(relay);
    where.append(Deployment.RELAY).append('=').append(relay.port());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (AutoCloseable c : running) {
                    try {
                      c.close();
                    } catch (Exception e) {
                      // shutting down anyway
                    }
                  }
                  if (core != null) {
                    core.close();
                  }
                  stopped.countDown();
                }));
    out.println("bench serve: " + where + " on 127.0.0.1 (stop with Ctrl-C)");
    out.flush();
    if (exitOnEof) {
      // Forked by a benchmark run: its end closes our stdin, and we must not outlive it.
      Thread watcher =
          new Thread(
              () -> {
                try {
                  while (System.in.read() >= 0) {
                    // discard
                  }
                } catch (java.io.IOException e) {
                  // parent gone
                }
                System.exit(0);
              },
              "bench-serve-stdin");
      watcher.setDaemon(true);
      watcher.start();
    }
    stopped.await();
  }
}
