package spartan.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command line, parsed and checked: every bad value stops the run with a message naming the
 * option. An immutable value.
 *
 * @param transports bindings to compare besides the baseline: {@code grpc}, {@code socket},
 *     {@code inproc}
 * @param baseline whether the bare Netty relay runs too
 * @param scenarios scenario ids, in run order
 * @param duration each timed scenario's measuring time per binding
 * @param clients users in the latency and throughput scenarios (pairs: clients / 2)
 * @param rates offered rates (messages/s, all pairs together) for the latency scenario, given
 *     with {@code --rate}; empty to derive them from {@link #loads}
 * @param loads fractions of each binding's own measured capacity at which latency is measured,
 *     when {@link #rates} is empty
 * @param groupSizes group sizes for the fan-out scenario
 * @param logins clients in the login storm
 * @param idleSessions idle sessions in the memory scenario
 * @param offlineMessages messages queued for the offline-drain scenario
 * @param payloadChars the body size of every benchmark message
 * @param host a running server's host, or null to start servers here
 * @param port the remote base port (grpc, socket = +1, relay = +2)
 * @param server {@code auto} (forked and pinned where the machine can, else in-process), {@code
 *     fork} or {@code inproc}
 * @param stores the stores each transport runs over: {@code embedded}, {@code memory}, {@code
 *     redis}; {@code remote} with {@link #host}
 * @param nodes with {@code --nodes}, the node counts to measure (senders on the first node,
 *     recipients on the last); empty otherwise
 * @param warmup the unmeasured load each scenario starts with, so the JIT is warm
 * @param serverJava extra JVM options for the forked servers
 * @param repeat runs of each scenario per binding; tables show medians
 * @param out where the JSON goes; the plot is written next to it
 * @param tls whether each transport also runs over TLS, as a binding of its own ({@code
 *     grpc-tls}, {@code socket-tls}) interleaved with the plain one
 * @param tlsDir where the TLS bindings' CA and server certificate are (made, unless remote)
 */
record BenchOptions(
    List<String> transports,
    boolean baseline,
    List<String> scenarios,
    Duration duration,
    int clients,
    List<Double> rates,
    List<Double> loads,
    List<Integer> groupSizes,
    int logins,
    int idleSessions,
    int offlineMessages,
    int payloadChars,
    String host,
    int port,
    String server,
    List<String> stores,
    List<Integer> nodes,
    Duration warmup,
    List<String> serverJava,
    int repeat,
    Path out,
    boolean tls,
    Path tlsDir) {

  static final List<String> ALL_SCENARIOS =
      List.of("throughput", "latency", "fanout", "storm", "idle", "drain", "limiter");
  static final List<String> STORES = List.of("embedded", "memory", "redis");
  /** What {@code --nodes} measures. */
  static final List<String> NODE_SCENARIOS = List.of("throughput", "latency");
  static final int MAX_NODES = 8;
  static final Duration DEFAULT_WARMUP = Duration.ofSeconds(30);

  static final String USAGE =
      """
      Usage: spartan bench [options]
        --transport grpc|socket|both|inproc|LIST   transports to compare (default both)
        --store embedded,memory[,redis]             stores each transport runs over (default
                                                    embedded,memory); redis starts a private
                                                    durable redis-server and needs forked servers
        --scenario all|LIST                         throughput,latency,fanout,storm,idle,drain,limiter
                                                    or 1-7 (default all)
        --duration 30s                              measuring time per timed scenario and binding
        --warmup 30s                                unmeasured load before each scenario's figures
                                                    (JIT warm-up; default 30s)
        --load 25,50,75                             latency at these % of each binding's own
                                                    measured capacity (default 25,50,75)
        --rate R[,R...]                             latency at these offered msg/s instead
        --clients N                                 users in latency/throughput, in pairs (default 10)
        --groups 10,100,1000                        fan-out group sizes
        --logins K                                  clients in the login storm (default 200)
        --idle N                                    idle sessions for the memory figure (default 500)
        --offline M                                 messages queued for the offline drain (default 10000)
        --size CHARS                                message body size (default 100)
        --repeat N                                  run each scenario N times (bindings interleaved)
                                                    and show medians (default 1)
        --no-baseline                               skip the bare Netty relay
        --server auto|fork|inproc                   auto (default): each store's server is
                                                    'spartan server' in its own JVM, pinned with
                                                    taskset to the first CPU and the generator to
                                                    the others, or in-process (the bare core) with
                                                    the reason printed where the machine cannot pin;
                                                    fork: forked even unpinned; inproc: in-process
        --server-java "OPTS"                        extra JVM options for the forked servers
        --nodes N|LIST                              several server nodes on one private durable
                                                    redis-server (the redis store), senders on node
                                                    1, recipients on node N; N alone = 1..N; direct
                                                    throughput and latency only
        --host H --port P                           target a running 'bench serve' (grpc at P,
                                                    socket at P+1, relay at P+2) instead
        --out FILE                                  JSON results (default bench-out/results.json);
                                                    the latency plot goes next to it (.svg)
        --tls                                       also run each transport over TLS (grpc-tls,
                                                    socket-tls), interleaved with the plain ones
        --tls-dir DIR                               the TLS bindings' CA and certificate (default
                                                    bench-out/tls; made fresh unless --host)
      spartan bench serve [--port P] [--store memory|embedded] [--tls [--tls-dir DIR]]
                                                    run the servers alone (pin them with taskset);
                                                    --tls adds grpc-tls at P+3, socket-tls at P+4
      spartan bench jmh [REGEX] [JMH OPTIONS]       the JMH micro-benchmarks (JMH's -h for options):
                                                    WireCodec, ProtoMapping, Decorator, RateLimiter,
                                                    StoreAppend
      """;

  BenchOptions {
    transports = List.copyOf(transports);
    scenarios = List.copyOf(scenarios);
    rates = List.copyOf(rates);
    loads = List.copyOf(loads);
    groupSizes = List.copyOf(groupSizes);
    stores = List.copyOf(stores);
    nodes = List.copyOf(nodes);
    serverJava = List.copyOf(serverJava);
  }

  /** Parses {@code args}; throws {@link IllegalArgumentException} with a message naming the option. */
  static BenchOptions parse(List<String> args) {
    Map<String, String> m = new LinkedHashMap<>();
    boolean baseline = true;
    boolean tls = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--no-baseline")) {
        baseline = false;
        continue;
      }
      if (a.equals("--tls")) {
        tls = true;
        continue;
      }
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String key;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        key = a.substring(2, eq);
        value = a.substring(eq + 1);
      } else {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        key = a.substring(2);
        value = args.get(++i);
      }
      if (m.put(key, value) != null) {
        throw new IllegalArgumentException("--" + key + " given twice");
      }
    }
    List<String> known =
        List.of("transport", "scenario", "duration", "clients", "rate", "load", "groups", "logins",
            "idle", "offline", "size", "host", "port", "server", "store", "nodes", "warmup",
            "server-java", "repeat", "out", "tls-dir");
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown option --" + k);
      }
    }
    String host = m.get("host");
    if (host != null && !host.equals("127.0.0.1") && !host.equals("localhost")) {
      // Benchmarks flood what they target: keep them on this machine's loopback.
      throw new IllegalArgumentException("--host must be 127.0.0.1 or localhost, was " + host);
    }
    int port = integer(m, "port", 0, 0, 65533);
    if (host != null && port == 0) {
      throw new IllegalArgumentException("--host needs --port");
    }
    String server = m.getOrDefault("server", "auto");
    if (!List.of("auto", "fork", "inproc").contains(server)) {
      throw new IllegalArgumentException("--server must be auto, fork or inproc, was " + server);
    }
    if (m.containsKey("server") && host != null) {
      throw new IllegalArgumentException("--server and --host exclude each other");
    }
    List<String> transports = transports(m.getOrDefault("transport", "both"));
    boolean mayBeForked = host == null && !server.equals("inproc");
    if (transports.contains(Deployment.INPROC) && (host != null || server.equals("fork"))) {
      throw new IllegalArgumentException("--transport inproc needs the server in-process");
    }
    List<Integer> nodes = nodes(m.get("nodes"));
    List<String> stores;
    if (host != null) {
      if (m.containsKey("store")) {
        throw new IllegalArgumentException("--store and --host exclude each other: a running"
            + " server uses its own store");
      }
      if (!nodes.isEmpty()) {
        throw new IllegalArgumentException("--nodes and --host exclude each other");
      }
      stores = List.of("remote");
    } else if (!nodes.isEmpty()) {
      if (m.containsKey("store") && !m.get("store").equals("redis")) {
        throw new IllegalArgumentException("--nodes runs the redis store only, was --store "
            + m.get("store"));
      }
      stores = List.of("redis");
    } else {
      stores = stores(m.getOrDefault("store", "embedded,memory"));
    }
    if (!nodes.isEmpty()) {
      if (!mayBeForked) {
        throw new IllegalArgumentException("--nodes needs forked servers: drop --server inproc");
      }
      if (transports.contains(Deployment.INPROC)) {
        throw new IllegalArgumentException("--nodes measures the transports, not inproc");
      }
    }
    if (stores.contains("redis") && !mayBeForked) {
      throw new IllegalArgumentException(
          "the redis store runs in forked servers ('spartan server' nodes): drop --server inproc");
    }
    List<String> scenarios = scenarios(m.getOrDefault("scenario", "all"));
    if (!nodes.isEmpty()) {
      if (m.containsKey("scenario") && !NODE_SCENARIOS.containsAll(scenarios)) {
        throw new IllegalArgumentException(
            "--nodes measures " + String.join(" and ", NODE_SCENARIOS) + " only, was --scenario "
                + m.get("scenario"));
      }
      scenarios = scenarios.stream().filter(NODE_SCENARIOS::contains).toList();
    }
    List<Double> rates =
        m.containsKey("rate")
            ? list(m.get("rate"), "rate").stream().map(s -> number(s, "rate", 1, 1_000_000)).toList()
            : List.of();
    if (m.containsKey("rate") && m.containsKey("load")) {
      throw new IllegalArgumentException("--rate and --load exclude each other");
    }
    List<Double> loads =
        list(m.getOrDefault("load", "25,50,75"), "load").stream()
            .map(s -> number(s, "load", 1, 100) / 100)
            .toList();
    return new BenchOptions(
        transports,
        baseline && nodes.isEmpty(),
        scenarios,
        duration(m.getOrDefault("duration", "30s")),
        integer(m, "clients", 10, 2, 1000),
        rates,
        loads,
        list(m.getOrDefault("groups", "10,100,1000"), "groups").stream()
            .map(s -> (int) number(s, "groups", 2, 1000))
            .toList(),
        integer(m, "logins", 200, 1, 10_000),
        integer(m, "idle", 500, 1, 20_000),
        integer(m, "offline", 10_000, 1, 1_000_000),
        integer(m, "size", 100, 40, 3000),
        host,
        port,
        server,
        stores,
        nodes,
        m.containsKey("warmup") ? warmup(m.get("warmup")) : DEFAULT_WARMUP,
        javaOptions(m.getOrDefault("server-java", "")),
        integer(m, "repeat", 1, 1, 9),
        Path.of(m.getOrDefault("out", "bench-out/results.json")),
        tls,
        Path.of(m.getOrDefault("tls-dir", "bench-out/tls")));
  }

  private static List<String> stores(String v) {
    List<String> out = new ArrayList<>();
    for (String s : list(v, "store")) {
      if (!STORES.contains(s)) {
        throw new IllegalArgumentException(
            "--store must be a list of " + String.join(",", STORES) + ", was " + s);
      }
      out.add(s);
    }
    return out.stream().distinct().toList();
  }

  /** {@code 3} means 1, 2 and 3 nodes; a list means exactly those. */
  static List<Integer> nodes(String v) {
    if (v == null) {
      return List.of();
    }
    List<String> parts = list(v, "nodes");
    List<Integer> out = new ArrayList<>();
    for (String p : parts) {
      out.add((int) number(p, "nodes", 1, MAX_NODES));
    }
    if (out.size() == 1) {
      int n = out.get(0);
      out.clear();
      for (int i = 1; i <= n; i++) {
        out.add(i);
      }
    }
    return out.stream().distinct().sorted().toList();
  }

  static Duration warmup(String v) {
    if (v.trim().equals("0")) {
      return Duration.ZERO;
    }
    Duration d = duration(v, "warmup");
    if (d.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("--warmup must be 0 to 10m, was " + v);
    }
    return d;
  }

  /** JVM options for the forked servers: at most 32, each starting with '-', each under 200 chars. */
  static List<String> javaOptions(String v) {
    List<String> out = new ArrayList<>();
    for (String o : v.trim().split("\\s+")) {
      if (o.isEmpty()) {
        continue;
      }
      if (!o.startsWith("-") || o.length() > 200) {
        throw new IllegalArgumentException(
            "--server-java takes JVM options (each starting with '-', under 200 chars), was " + o);
      }
      out.add(o);
    }
    if (out.size() > 32) {
      throw new IllegalArgumentException("--server-java takes at most 32 options");
    }
    return out;
  }

  private static List<String> transports(String v) {
    List<String> out = new ArrayList<>();
    for (String t : list(v, "transport")) {
      switch (t) {
        case "both" -> {
          out.add("grpc");
          out.add("socket");
        }
        case "grpc", "socket", "inproc" -> out.add(t);
        default ->
            throw new IllegalArgumentException(
                "--transport must be grpc, socket, both or inproc, was " + t);
      }
    }
    return out.stream().distinct().toList();
  }

  private static List<String> scenarios(String v) {
    if (v.equals("all")) {
      return ALL_SCENARIOS;
    }
    List<String> out = new ArrayList<>();
    for (String s : list(v, "scenario")) {
      String id = s.matches("[1-7]") ? ALL_SCENARIOS.get(Integer.parseInt(s) - 1) : s;
      if (!ALL_SCENARIOS.contains(id)) {
        throw new IllegalArgumentException(
            "--scenario must be all or a list of " + String.join(",", ALL_SCENARIOS) + ", was " + s);
      }
      out.add(id);
    }
    // Run in the documented order whatever order they were given in.
    return ALL_SCENARIOS.stream().filter(out::contains).toList();
  }

  static Duration duration(String v) {
    Duration d = duration(v, "duration");
    if (d.compareTo(Duration.ofMillis(200)) < 0 || d.compareTo(Duration.ofMinutes(30)) > 0) {
      throw new IllegalArgumentException("--duration must be 200ms to 30m, was " + v);
    }
    return d;
  }

  private static Duration duration(String v, String option) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    Duration d;
    try {
      if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        d = Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      } else if (s.endsWith("m")) {
        d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
      } else {
        d = Duration.ofSeconds(Long.parseLong(s));
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + option + " must look like 30s, 500ms or 2m, was " + v);
    }
    if (d.isNegative()) {
      throw new IllegalArgumentException("--" + option + " must not be negative, was " + v);
    }
    return d;
  }

  private static List<String> list(String v, String option) {
    List<String> out = new ArrayList<>();
    for (String p : v.split(",")) {
      if (!p.isBlank()) {
        out.add(p.trim());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--" + option + " is empty");
    }
    return out;
  }

  private static int integer(Map<String, String> m, String key, int dflt, int min, int max) {
    String v = m.get(key);
    return v == null ? dflt : (int) number(v, key, min, max);
  }

  private static double number(String v, String option, double min, double max) {
    double d;
    try {
      d = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + option + " must be a number, was " + v);
    }
    if (!(d >= min && d <= max)) {
      throw new IllegalArgumentException(
          "--" + option + " must be " + (long) min + " to " + (long) max + ", was " + v);
    }
    return d;
  }

  /**
   * The bindings to run: the baseline first, then each transport over each store (with {@code
   * --nodes}, over each node count), each TLS variant after its plain one.
   */
  List<Binding> bindings() {
    List<Binding> out = new ArrayList<>();
    if (baseline) {
      out.add(Binding.RELAY);
    }
    List<Integer> counts = nodes.isEmpty() ? List.of(1) : nodes;
    for (int n : counts) {
      for (String t : transports) {
        for (String store : stores) {
          out.add(new Binding(t, store, n));
          if (tls && !t.equals(Deployment.INPROC)) {
            out.add(new Binding(t + BenchTls.SUFFIX, store, n));
          }
        }
      }
    }
    return out;
  }

  /** The plot's path: {@link #out} with {@code -latency.svg} for its extension. */
  Path plot() {
    String name = out.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return out.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + "-latency.svg");
  }
}
