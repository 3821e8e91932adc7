package spartan.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's command line. Each flag overrides one {@code config.yaml} setting, so the file
 * and the flags go through the same validation; this class only maps flags to settings.
 */
final class CommandLine {
  static final String USAGE =
      """
      Usage: spartan server [options]

        --config FILE             configuration file (default: config.yaml next to the launcher)
        --transport T             grpc, socket or both
        --port N                  port of the chosen transport (with a single --transport)
        --grpc-port N             gRPC port (default 3000)
        --socket-port N           socket transport port (default 3001)
        --host ADDR               address to listen on (default 127.0.0.1)
        --data DIR                where the embedded store keeps its files
        --store TYPE              memory, embedded or redis
        --redis URL               redis://host:port (rediss:// for TLS) to share rate limits,
                                  and the redis store's unless store.redis sets another
        --redis-ca FILE           CA certificate(s), PEM, to trust for rediss:// (default: system)
        --cluster-redis URL       redis://host:port of the nodes' shared bus (several nodes;
                                  needs --store redis; default: the store's Redis)
        --node-id ID              this node's id in the cluster (default: random)
        --tls-cert FILE           serve TLS on every transport: certificate chain, PEM
        --tls-key FILE            the certificate's private key, PEM (unencrypted, chmod 600)
        --auth MODE               open or password
        --insecure-open-auth-on-network
                                  allow auth open on a non-loopback --host (anyone on the
                                  network can log in as anyone)
        --sync MODE               embedded store durability: normal or full
        --metrics-port N          serve /metrics, /health and /ready on this HTTP port
                                  (default off; 0 picks a free port)
        --metrics-host ADDR       address of the metrics port (default 127.0.0.1)
        --help                    this text
      """;

  final Path config;
  final Map<String, String> overrides;
  final Map<String, String> flags;
  final boolean help;

  private CommandLine(Path config, Map<String, String> overrides, Map<String, String> flags,
      boolean help) {
    this.config = config;
    this.overrides = overrides;
    this.flags = flags;
    this.help = help;
  }

  static CommandLine parse(List<String> args, Path defaultConfig) {
    Path config = defaultConfig;
    Map<String, String> overrides = new LinkedHashMap<>();
    Map<String, String> flags = new HashMap<>();
    String port = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String flag = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (flag.equals("--help") || flag.equals("-h")) {
        return new CommandLine(config, overrides, flags, true);
      }
      if (flag.equals("--insecure-open-auth-on-network") && value == null) {
        // A switch: its presence is the deliberate choice.
        overrides.put("insecureOpenAuthOnNetwork", "true");
        flags.put("insecureOpenAuthOnNetwork", flag);
        continue;
      }
      if (!flag.startsWith("--")) {
        throw new ConfigException("unexpected argument '" + arg + "' (see --help)");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new ConfigException(flag + " needs a value (see --help)");
        }
        value = args.get(++i);
      }
      String setting =
          switch (flag) {
            case "--config" -> null;
            case "--transport" -> "transports";
            case "--port" -> null;
            case "--grpc-port" -> "grpc.port";
            case "--socket-port" -> "socket.port";
            case "--host" -> "host";
            case "--data" -> "store.dataDir";
            case "--store" -> "store.type";
            case "--redis" -> "rateLimit.redis";
            case "--redis-ca" -> "rateLimit.redisCa";
            case "--cluster-redis" -> "cluster.redis";
            case "--node-id" -> "cluster.nodeId";
            case "--tls-cert" -> "tls.cert";
            case "--tls-key" -> "tls.key";
            case "--auth" -> "auth";
            case "--sync" -> "store.sync";
            case "--insecure-open-auth-on-network" -> "insecureOpenAuthOnNetwork";
            case "--metrics-port" -> "metrics.port";
            case "--metrics-host" -> "metrics.host";
            default -> throw new ConfigException("unknown option " + flag + " (see --help)");
          };
      if (flag.equals("--config")) {
        config = Path.of(value);
      } else if (flag.equals("--port")) {
        port = value;
      } else {
        overrides.put(setting, value);
        flags.put(setting, flag);
      }
    }
    if (port != null) {
      String t = overrides.get("transports");
      if (t == null || !(t.equals("grpc") || t.equals("socket"))) {
        throw new ConfigException(
            "--port needs a single --transport grpc|socket; with both use --grpc-port and"
                + " --socket-port");
      }
      overrides.put(t + ".port", port);
      flags.put(t + ".port", "--port");
    }
    return new CommandLine(config, overrides, flags, false);
  }
}
