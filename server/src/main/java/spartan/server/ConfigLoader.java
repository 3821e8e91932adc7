package spartan.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import spartan.core.AuthMode;
import spartan.core.Limits;
import spartan.core.Names;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * Reads {@code config.yaml} (snakeyaml's SafeConstructor: plain maps, lists and scalars, no
 * types from the file), applies command-line overrides, and validates every setting. Unknown
 * settings are errors too, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
  private static final Set<String> KNOWN =
      Set.of(
          "transports", "host", "grpc.port", "socket.port", "auth", "demoUsers",
          "insecureOpenAuthOnNetwork",
          "store.type", "store.dataDir", "store.redis", "store.sync",
          "rateLimit.perSecond", "rateLimit.burst", "rateLimit.redis",
          "rateLimit.recipientsPerSecond",
          "cache.messagesPerConversation", "cache.conversations", "cache.maxBytes",
          "limits.loginFailuresPerName", "limits.loginFailuresPerAddress",
          "limits.maxLoginBackoffSeconds", "limits.signUpsPerAddressPerHour",
          "limits.maxFrameBytes", "limits.maxBodyChars", "limits.maxEnvelopeBytes",
          "limits.maxGroupMembers", "limits.maxSessionsPerUser", "limits.sessionIdleMinutes",
          "limits.loginTimeoutSeconds", "limits.keepAliveSeconds",
          "limits.maxConnections", "limits.maxConnectionsPerAddress",
          "metrics.port", "metrics.host",
          "tls.cert", "tls.key", "rateLimit.redisCa",
          "cluster.redis", "cluster.nodeId", "cluster.heartbeatMillis",
          "cluster.deadAfterMillis", "cluster.checkSeconds");

  /** Flattened settings ("grpc.port" → value) and where each came from, for error messages. */
  private final Map<String, Object> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new HashMap<>();
  private final Path baseDir;

  private ConfigLoader(Path baseDir) {
    this.baseDir = baseDir;
  }

  /**
   * Loads {@code file} and applies {@code overrides} (setting name → value, with the flag that
   * set it as {@code flags.get(name)}).
   */
  public static ServerConfig load(
      Path file, Map<String, String> overrides, Map<String, String> flags) {
    Path abs = file.toAbsolutePath().normalize();
    ConfigLoader l = new ConfigLoader(abs.getParent());
    l.read(abs);
    overrides.forEach(
        (k, v) -> {
          l.values.put(k, v);
          l.sources.put(k, flags.getOrDefault(k, "--" + k));
        });
    return l.build();
  }

  private void read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file not found: " + file);
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit(1 << 20);
    Yaml yaml = new Yaml(new SafeConstructor(options));
    Object root;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = yaml.load(r);
    } catch (IOException | YAMLException e) {
      throw new ConfigException(file.getFileName() + ": cannot read: " + oneLine(e.getMessage()));
    }
    if (root == null) {
      return;
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ConfigException(file.getFileName() + ": the top level must be a mapping");
    }
    flatten("", map, file.getFileName().toString());
  }

  private void flatten(String prefix, Map<?, ?> map, String source) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> inner && !KNOWN.contains(key)) {
        flatten(key + ".", inner, source);
        continue;
      }
      if (!KNOWN.contains(key)) {
        throw new ConfigException(source + ": unknown setting '" + key + "'");
      }
      values.put(key, e.getValue());
      sources.put(key, source);
    }
  }

  private ServerConfig build() {
    List<String> transports = transports();
    String host = string("host", "127.0.0.1");
    int grpcPort = integer("grpc.port", 3000, 0, 65535);
    int socketPort = integer("socket.port", 3001, 0, 65535);
    if (transports.size() == 2 && grpcPort == socketPort && grpcPort != 0) {
      throw bad("socket.port", "must differ from grpc.port (" + grpcPort + ")");
    }
    AuthMode auth = enumValue("auth", AuthMode.class, AuthMode.OPEN);
    boolean openOnNetwork = bool("insecureOpenAuthOnNetwork", false);
    if (auth == AuthMode.OPEN && !isLoopback(host) && !openOnNetwork) {
      String risk =
          " which lets anyone who can reach it log in as any user without a password. Use"
              + " auth: password (--auth password), listen on 127.0.0.1, or accept the risk"
              + " with insecureOpenAuthOnNetwork: true (--insecure-open-auth-on-network)";
      // Name whichever of the two was set; auth may be the shipped default.
      throw sources.containsKey("auth")
          ? bad("auth", "is open on host " + host + "," + risk)
          : bad("host", host + " is reachable from the network and auth is open (the"
              + " default)," + risk);
    }
    List<String> demoUsers = new ArrayList<>();
    for (String u : stringList("demoUsers")) {
      try {
        demoUsers.add(Names.user(u));
      } catch (RuntimeException e) {
        throw bad("demoUsers", "'" + u + "' is not a valid user name: " + e.getMessage());
      }
    }
    ServerConfig.StoreType storeType =
        enumValue("store.type", ServerConfig.StoreType.class, ServerConfig.StoreType.EMBEDDED);
    Path dataDir = path("store.dataDir", "data");
    String storeRedis = redisUrl("store.redis");
    int perSecond = integer("rateLimit.perSecond", 15, 1, 1_000_000);
    int burst = integer("rateLimit.burst", perSecond, 0, 1_000_000);
    String rateRedis = redisUrl("rateLimit.redis");
    if (storeType == ServerConfig.StoreType.REDIS && storeRedis == null) {
      // one Redis for both unless set apart
      storeRedis = rateRedis;
      if (storeRedis == null) {
        throw bad(
            "store.redis",
            "is required for store type redis: redis://host:port (or --redis URL, which the"
                + " rate limiter shares)");
      }
    }
    int recipients = integer("rateLimit.recipientsPerSecond", 1000, 0, 1_000_000);
    int perConversation = integer("cache.messagesPerConversation", 5, 0, Limits.MAX_HISTORY);
    int conversations = integer("cache.conversations", 10_000, 0, 10_000_000);
    long cacheMaxBytes = longInteger("cache.maxBytes", 64L << 20, 64L << 10, 64L << 30);
    SqliteChatStore.Sync sync =
        enumValue("store.sync", SqliteChatStore.Sync.class, SqliteChatStore.Sync.NORMAL);
    ServerConfig.AuthLimits authLimits =
        new ServerConfig.AuthLimits(
            integer("limits.loginFailuresPerName", 5, 1, 1_000_000),
            integer("limits.loginFailuresPerAddress", 20, 1, 1_000_000),
            Duration.ofSeconds(integer("limits.maxLoginBackoffSeconds", 60, 1, 86_400)),
            integer("limits.signUpsPerAddressPerHour", 30, 1, 1_000_000));
    int maxFrame = integer("limits.maxFrameBytes", 65536, 1024, 16 << 20);
    Limits defaults = Limits.defaults();
    Limits limits =
        new Limits(
            integer("limits.maxBodyChars", defaults.maxBodyChars(), 1, 1 << 20),
            integer("limits.maxEnvelopeBytes", defaults.maxEnvelopeBytes(), 64, 16 << 20),
            integer("limits.maxGroupMembers", defaults.maxGroupMembers(), 2, 100_000),
            integer("limits.maxSessionsPerUser", defaults.maxSessionsPerUser(), 1, 1000),
            Duration.ofMinutes(integer("limits.sessionIdleMinutes", 60, 1, 60 * 24 * 30)));
    if (limits.maxBodyChars() * 4L > maxFrame) {
      throw bad("limits.maxBodyChars", "does not fit in limits.maxFrameBytes (" + maxFrame
          + " bytes; a character may take 4 bytes on the wire)");
    }
    Duration loginTimeout =
        Duration.ofSeconds(integer("limits.loginTimeoutSeconds", 30, 1, 3600));
    Duration keepAlive = Duration.ofSeconds(integer("limits.keepAliveSeconds", 20, 1, 3600));
    int maxConnections = integer("limits.maxConnections", 10_000, 1, 1_000_000);
    int maxPerAddress =
        integer("limits.maxConnectionsPerAddress", 256, 1, 1_000_000);
    int metricsPort = metricsPort();
    String metricsHost = string("metrics.host", "127.0.0.1");
    Path tlsCert = optionalFile("tls.cert");
    Path tlsKey = optionalFile("tls.key");
    if (tlsCert != null && tlsKey == null) {
      throw bad("tls.cert", "needs tls.key (--tls-key) too: the private key of the certificate");
    }
    if (tlsKey != null && tlsCert == null) {
      throw bad("tls.key", "needs tls.cert (--tls-cert) too: the certificate chain, PEM");
    }
    Path redisCa = optionalFile("rateLimit.redisCa");
    boolean storeTls =
        storeType == ServerConfig.StoreType.REDIS && storeRedis.startsWith("rediss://");
    if (redisCa != null
        && !storeTls
        && (rateRedis == null || !rateRedis.startsWith("rediss://"))) {
      throw bad(
          "rateLimit.redisCa",
          "is only used with a rediss:// URL in rateLimit.redis or store.redis");
    }
    ServerConfig.Cluster cluster = cluster(storeType, storeRedis);
    return new ServerConfig(
        transports, host, grpcPort, socketPort, auth, demoUsers, storeType, dataDir, storeRedis,
        perSecond, burst, rateRedis, recipients, perConversation, conversations, maxFrame, limits,
        loginTimeout, keepAlive, maxConnections, maxPerAddress, sync, cacheMaxBytes, authLimits,
        openOnNetwork, metricsPort, metricsHost, tlsCert, tlsKey, redisCa, cluster);
  }

  private ServerConfig.Cluster cluster(ServerConfig.StoreType storeType, String storeRedis) {
    String redis = redisUrl("cluster.redis");
    if (redis == null && storeType == ServerConfig.StoreType.REDIS) {
      // Nodes sharing the store tell each other of new messages through the same Redis.
      redis = storeRedis;
    }
    String nodeId = null;
    Object id = values.get("cluster.nodeId");
    if (id != null && !(id instanceof String s && s.isBlank())) {
      nodeId = String.valueOf(id).strip();
      if (!nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
        throw bad("cluster.nodeId", "must be 1-64 letters, digits, '-' or '_', was '" + nodeId
            + "'");
      }
    }
    int heartbeat = integer("cluster.heartbeatMillis", 1000, 10, 60_000);
    int deadAfter = integer("cluster.deadAfterMillis", 5000, 20, 600_000);
    if (deadAfter < 2 * heartbeat) {
      throw bad("cluster.deadAfterMillis", "must be at least twice cluster.heartbeatMillis ("
          + heartbeat + "), was " + deadAfter);
    }
    int check = integer("cluster.checkSeconds", 5, 1, 3600);
    if (redis != null && storeType != ServerConfig.StoreType.REDIS) {
      // Each node would deliver from its own store: messages would never cross.
      throw bad("cluster.redis", "needs a store shared by every node (store.type: redis);"
          + " store.type is " + storeType.name().toLowerCase(Locale.ROOT));
    }
    return new ServerConfig.Cluster(
        redis, nodeId, Duration.ofMillis(heartbeat), Duration.ofMillis(deadAfter),
        Duration.ofSeconds(check));
  }

  /** The admin port, or -1 when off (absent, empty, "off", or YAML's false). */
  private int metricsPort() {
    Object v = values.get("metrics.port");
    if (v == null
        || Boolean.FALSE.equals(v)
        || (v instanceof String s && (s.isBlank() || s.strip().equalsIgnoreCase("off")))) {
      return -1;
    }
    return integer("metrics.port", -1, 0, 65535);
  }

  private List<String> transports() {
    Object v = values.get("transports");
    List<String> names = new ArrayList<>();
    if (v == null) {
      return List.of("grpc", "socket");
    }
    if (v instanceof String s) {
      for (String part : s.split(",")) {
        names.add(part.strip().toLowerCase(Locale.ROOT));
      }
      if (names.equals(List.of("both"))) {
        return List.of("grpc", "socket");
      }
    } else {
      for (String n : stringList("transports")) {
        names.add(n.toLowerCase(Locale.ROOT));
      }
    }
    if (names.isEmpty()) {
      throw bad("transports", "needs at least one of grpc, socket");
    }
    for (String n : names) {
      if (!n.equals("grpc") && !n.equals("socket")) {
        throw bad("transports", "'" + n + "' is not one of grpc, socket, both");
      }
    }
    return names.stream().distinct().toList();
  }

  private String string(String key, String dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw bad(key, "must be a non-empty string, was " + describe(v));
    }
    return s.strip();
  }

  private List<String> stringList(String key) {
    Object v = values.get(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return s.isBlank() ? List.of() : List.of(s.split("\\s*,\\s*"));
    }
    if (!(v instanceof List<?> list)) {
      throw bad(key, "must be a list, was " + describe(v));
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw bad(key, "must be a list of strings, has " + describe(o));
      }
      out.add(s.strip());
    }
    return out;
  }

  /**
   * Whether {@code host} can only be reached from this machine: a loopback literal or {@code
   * localhost}. A name is not looked up (that would be network traffic, and could change), so
   * any other name counts as reachable from the network.
   */
  static boolean isLoopback(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    boolean literal = h.matches("[0-9.]+") || (h.contains(":") && h.matches("[0-9a-f:.%a-z]+"));
    if (!literal) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(h).isLoopbackAddress(); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private boolean bool(String key, boolean dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = String.valueOf(v).strip().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    throw bad(key, "must be true or false, was " + describe(v));
  }

  private long longInteger(String key, long dflt, long min, long max) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    long n;
    if (v instanceof Integer || v instanceof Long) {
      n = ((Number) v).longValue();
    } else if (v instanceof String s) {
      try {
        n = Long.parseLong(s.strip());
      } catch (NumberFormatException e) {
        throw bad(key, "must be a whole number, was '" + s + "'");
      }
    } else {
      throw bad(key, "must be a whole number, was " + describe(v));
    }
    if (n < min || n > max) {
      throw bad(key, "must be " + min + "-" + max + ", was " + n);
    }
    return n;
  }

  private int integer(String key, int dflt, int min, int max) {
    return (int) longInteger(key, dflt, min, max);
  }

  private <E extends Enum<E>> E enumValue(String key, Class<E> type, E dflt) {
    Object v = values.get(key);
    if (v == null) {
      return dflt;
    }
    String s = String.valueOf(v).strip().toUpperCase(Locale.ROOT);
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      List<String> allowed = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        allowed.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw bad(key, "must be one of " + String.join(", ", allowed) + ", was '" + v + "'");
    }
  }

  private Path path(String key, String dflt) {
    Path p = Path.of(string(key, dflt));
    // Paths from the file are relative to the file; paths from flags to the working directory.
    if (!p.isAbsolute() && !sources.getOrDefault(key, "config").startsWith("--")) {
      p = baseDir.resolve(p);
    }
    return p.toAbsolutePath().normalize();
  }

  /** A file that must exist and be readable, or null when the setting is absent or empty. */
  private Path optionalFile(String key) {
    Object v = values.get(key);
    if (v == null || (v instanceof String s && s.isBlank())) {
      return null;
    }
    Path p = path(key, "");
    if (!Files.isRegularFile(p)) {
      throw bad(key, "file not found: " + p);
    }
    if (!Files.isReadable(p)) {
      throw bad(key, "cannot be read by this user: " + p);
    }
    return p;
  }

  private String redisUrl(String key) {
    Object v = values.get(key);
    if (v == null || (v instanceof String s && s.isBlank())) {
      return null;
    }
    String s = String.valueOf(v).strip();
    if (!s.matches("rediss?://[^\\s/]+(:\\d{1,5})?(/\\d+)?")) {
      // Never echo a URL with credentials in it.
      throw bad(key, "must look like redis://host:port" + (s.contains("@") ? "" : ", was '" + s + "'"));
    }
    return s;
  }

  private ConfigException bad(String key, String why) {
    String source = sources.getOrDefault(key, "config");
    String name = source.startsWith("--") ? source : source + ": " + key;
    return new ConfigException(name + " " + why);
  }

  private static String describe(Object v) {
    return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }
}
