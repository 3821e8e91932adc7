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
 * @param rates offered rates (messages/s, all pairs together) for the latency scenario
 * @param groupSizes group sizes for the fan-out scenario
 * @param logins clients in the login storm
 * @param idleSessions idle sessions in the memory scenario
 * @param offlineMessages messages queued for the offline-drain scenario
 * @param payloadChars the body size of every benchmark message
 * @param host a running server's host, or null to start servers in-process
 * @param port the remote base port (grpc, socket = +1, relay = +2)
 * @param fork run the servers in one child JVM instead of this one, so server figures leave the
 *     generator out
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
    List<Integer> groupSizes,
    int logins,
    int idleSessions,
    int offlineMessages,
    int payloadChars,
    String host,
    int port,
    boolean fork,
    int repeat,
    Path out,
    boolean tls,
    Path tlsDir) {

  static final List<String> ALL_SCENARIOS =
      List.of("latency", "throughput", "fanout", "storm", "idle", "drain", "limiter");

  static final String USAGE =
      """
      Usage: spartan bench [options]
        --transport grpc|socket|both|inproc|LIST   bindings to compare (default both)
        --scenario all|LIST                         latency,throughput,fanout,storm,idle,drain,limiter
                                                    or 1-7 (default all)
        --duration 30s                              measuring time per timed scenario and binding
        --clients N                                 users in latency/throughput, in pairs (default 10)
        --rate R[,R...]                             offered msg/s for latency (default 500,1000,2000,4000)
        --groups 10,100,1000                        fan-out group sizes
        --logins K                                  clients in the login storm (default 200)
        --idle N                                    idle sessions for the memory figure (default 500)
        --offline M                                 messages queued for the offline drain (default 10000)
        --size CHARS                                message body size (default 100)
        --repeat N                                  run each scenario N times (bindings interleaved)
                                                    and show medians (default 1)
        --no-baseline                               skip the bare Netty relay
        --server inproc|fork                        servers in this JVM, fresh per scenario (default),
                                                    or in one child JVM so server CPU/heap/RSS exclude
                                                    the load generator
        --host H --port P                           target a running 'bench serve' (grpc at P,
                                                    socket at P+1, relay at P+2) instead
        --out FILE                                  JSON results (default bench-out/results.json);
                                                    the latency plot goes next to it (.svg)
        --tls                                       also run each transport over TLS (grpc-tls,
                                                    socket-tls), interleaved with the plain ones
        --tls-dir DIR                               the TLS bindings' CA and certificate (default
                                                    bench-out/tls; made fresh unless --host)
      spartan bench serve [--port P] [--tls [--tls-dir DIR]]
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
    groupSizes = List.copyOf(groupSizes);
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
        List.of("transport", "scenario", "duration", "clients", "rate", "groups", "logins", "idle",
            "offline", "size", "host", "port", "server", "repeat", "out", "tls-dir");
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
    String server = m.getOrDefault("server", "inproc");
    if (!server.equals("inproc") && !server.equals("fork")) {
      throw new IllegalArgumentException("--server must be inproc or fork, was " + server);
    }
    if (server.equals("fork") && host != null) {
      throw new IllegalArgumentException("--server fork and --host exclude each other");
    }
    List<String> transports = transports(m.getOrDefault("transport", "both"));
    if ((server.equals("fork") || host != null) && transports.contains(Deployment.INPROC)) {
      throw new IllegalArgumentException("--transport inproc needs the server in-process");
    }
    return new BenchOptions(
        transports,
        baseline,
        scenarios(m.getOrDefault("scenario", "all")),
        duration(m.getOrDefault("duration", "30s")),
        integer(m, "clients", 10, 2, 1000),
        list(m.getOrDefault("rate", "500,1000,2000,4000"), "rate").stream()
            .map(s -> number(s, "rate", 1, 1_000_000))
            .toList(),
        list(m.getOrDefault("groups", "10,100,1000"), "groups").stream()
            .map(s -> (int) number(s, "groups", 2, 1000))
            .toList(),
        integer(m, "logins", 200, 1, 10_000),
        integer(m, "idle", 500, 1, 20_000),
        integer(m, "offline", 10_000, 1, 1_000_000),
        integer(m, "size", 100, 40, 3000),
        host,
        port,
        server.equals("fork"),
        integer(m, "repeat", 1, 1, 9),
        Path.of(m.getOrDefault("out", "bench-out/results.json")),
        tls,
        Path.of(m.getOrDefault("tls-dir", "bench-out/tls")));
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
      throw new IllegalArgumentException("--duration must look like 30s, 500ms or 2m, was " + v);
    }
    if (d.compareTo(Duration.ofMillis(200)) < 0 || d.compareTo(Duration.ofMinutes(30)) > 0) {
      throw new IllegalArgumentException("--duration must be 200ms to 30m, was " + v);
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

  /** The bindings to run, baseline first, each transport only if present. */
  List<String> bindings() {
    List<String> out = new ArrayList<>();
    if (baseline) {
      out.add(Deployment.RELAY);
    }
    out.addAll(transports);
    if (tls) {
      for (String t : transports) {
        if (!t.equals(Deployment.INPROC)) {
          out.add(t + BenchTls.SUFFIX);
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
