package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.AuthMode;

class ConfigLoaderTest {
  @TempDir Path dir;

  private static final Path SHIPPED = Path.of("..", "config.yaml");

  @Test
  void theShippedConfigHasTheDocumentedDefaults() {
    ServerConfig c = ConfigLoader.load(SHIPPED, Map.of(), Map.of());
    assertThat(c.transports()).containsExactly("grpc", "socket");
    assertThat(c.grpcPort()).isEqualTo(3000);
    assertThat(c.socketPort()).isEqualTo(3001);
    assertThat(c.auth()).isEqualTo(AuthMode.OPEN);
    assertThat(c.demoUsers())
        .containsExactly("alice", "bob", "charlie", "eve", "foo", "bar", "baz", "qux");
    assertThat(c.storeType()).isEqualTo(ServerConfig.StoreType.EMBEDDED);
    assertThat(c.dataDir()).isEqualTo(SHIPPED.toAbsolutePath().normalize().getParent().resolve("data"));
    assertThat(c.ratePerSecond()).isEqualTo(15);
    assertThat(c.recipientsPerSecond()).isEqualTo(1000);
    assertThat(c.cacheMessagesPerConversation()).isEqualTo(5);
    assertThat(c.maxFrameBytes()).isEqualTo(65536);
    assertThat(c.limits().sessionIdleTimeout()).isEqualTo(Duration.ofMinutes(60));
    assertThat(c.storeSync()).isEqualTo(spartan.core.store.sqlite.SqliteChatStore.Sync.NORMAL);
    assertThat(c.cacheMaxBytes()).isEqualTo(64L << 20);
    assertThat(c.authLimits())
        .isEqualTo(new ServerConfig.AuthLimits(5, 20, Duration.ofSeconds(60), 30));
    assertThat(c.insecureOpenAuthOnNetwork()).isFalse();
    assertThat(c.cluster())
        .isEqualTo(
            new ServerConfig.Cluster(
                null, null, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    assertThat(c.cluster().enabled()).isFalse();
  }

  @Test
  void clusterSettingsAreChecked() throws IOException {
    assertBad(
        "cluster:\n  redis: redis://127.0.0.1:6379\n",
        "config.yaml: cluster.redis needs a store shared by every node (store.type: redis)");
    assertBad("cluster:\n  redis: localhost\n", "config.yaml: cluster.redis must look like");
    assertBad("cluster:\n  nodeId: 'a b'\n", "config.yaml: cluster.nodeId must be 1-64");
    assertBad(
        "cluster:\n  heartbeatMillis: 1000\n  deadAfterMillis: 1500\n",
        "config.yaml: cluster.deadAfterMillis must be at least twice cluster.heartbeatMillis");
    assertBad("cluster:\n  checkSeconds: 0\n", "config.yaml: cluster.checkSeconds must be 1-");
    assertThatThrownBy(() -> load("--cluster-redis", "redis://127.0.0.1:1"))
        .hasMessageContaining("--cluster-redis needs a store shared by every node");
    Path f = dir.resolve("config.yaml");
    Files.writeString(
        f, "cluster:\n  nodeId: n-1\n  heartbeatMillis: 200\n  deadAfterMillis: 900\n");
    ServerConfig c = ConfigLoader.load(f, Map.of(), Map.of());
    assertThat(c.cluster())
        .isEqualTo(
            new ServerConfig.Cluster(
                null, "n-1", Duration.ofMillis(200), Duration.ofMillis(900),
                Duration.ofSeconds(5)));
  }

  @Test
  void hardeningSettingsAreReadAndChecked() throws IOException {
    Path f = dir.resolve("config.yaml");
    Files.writeString(
        f,
        "store:\n  sync: full\ncache:\n  maxBytes: 1048576\nlimits:\n"
            + "  loginFailuresPerName: 3\n  loginFailuresPerAddress: 9\n"
            + "  maxLoginBackoffSeconds: 30\n  signUpsPerAddressPerHour: 7\n");
    ServerConfig c = ConfigLoader.load(f, Map.of(), Map.of());
    assertThat(c.storeSync()).isEqualTo(spartan.core.store.sqlite.SqliteChatStore.Sync.FULL);
    assertThat(c.cacheMaxBytes()).isEqualTo(1 << 20);
    assertThat(c.authLimits())
        .isEqualTo(new ServerConfig.AuthLimits(3, 9, Duration.ofSeconds(30), 7));
    assertThat(load("--sync", "full").storeSync())
        .isEqualTo(spartan.core.store.sqlite.SqliteChatStore.Sync.FULL);
    assertBad("store:\n  sync: sometimes\n",
        "config.yaml: store.sync must be one of normal, full, was 'sometimes'");
    assertBad("cache:\n  maxBytes: 10\n", "config.yaml: cache.maxBytes must be 65536-");
    assertBad("limits:\n  signUpsPerAddressPerHour: 0\n",
        "config.yaml: limits.signUpsPerAddressPerHour must be 1-");
  }

  /** Open mode on 0.0.0.0 let anyone on the network be anyone; it now takes a loud override. */
  @Test
  void openModeOnANetworkAddressNeedsTheLoudOverride() throws IOException {
    assertThatThrownBy(() -> load("--host", "0.0.0.0"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config.yaml: auth is open on host 0.0.0.0")
        .hasMessageContaining("insecureOpenAuthOnNetwork");
    assertBad("host: 192.168.1.5\n",
        "config.yaml: host 192.168.1.5 is reachable from the network and auth is open");
    assertBad("host: chat.example.org\nauth: open\n",
        "config.yaml: auth is open on host chat.example.org");
    assertBad("insecureOpenAuthOnNetwork: maybe\n",
        "config.yaml: insecureOpenAuthOnNetwork must be true or false");
    assertThat(load("--host", "0.0.0.0", "--insecure-open-auth-on-network").host())
        .isEqualTo("0.0.0.0");
    assertThat(load("--host", "0.0.0.0", "--auth", "password").auth())
        .isEqualTo(AuthMode.PASSWORD);
    for (String loopback : List.of("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost")) {
      assertThat(load("--host", loopback).host()).isEqualTo(loopback);
    }
  }

  @Test
  void commandLineFlagsOverrideTheFile() {
    CommandLine cli =
        CommandLine.parse(
            List.of("--transport", "socket", "--port", "4001", "--store", "memory",
                "--data", "elsewhere", "--auth", "password", "--redis", "redis://127.0.0.1:6390"),
            SHIPPED);
    ServerConfig c = ConfigLoader.load(cli.config, cli.overrides, cli.flags);
    assertThat(c.transports()).containsExactly("socket");
    assertThat(c.socketPort()).isEqualTo(4001);
    assertThat(c.storeType()).isEqualTo(ServerConfig.StoreType.MEMORY);
    assertThat(c.dataDir()).isEqualTo(Path.of("elsewhere").toAbsolutePath().normalize());
    assertThat(c.auth()).isEqualTo(AuthMode.PASSWORD);
    assertThat(c.rateRedis()).isEqualTo("redis://127.0.0.1:6390");
  }

  @Test
  void theRedisStoreSharesTheRateLimitersRedisUnlessSetApart() throws IOException {
    ServerConfig shared = load("--store", "redis", "--redis", "redis://127.0.0.1:6390");
    assertThat(shared.storeType()).isEqualTo(ServerConfig.StoreType.REDIS);
    assertThat(shared.storeRedis()).isEqualTo("redis://127.0.0.1:6390");
    Path f = dir.resolve("apart.yaml");
    Files.writeString(
        f,
        "store:\n  type: redis\n  redis: redis://10.0.0.5:6379\n"
            + "rateLimit:\n  redis: redis://10.0.0.6:6379\n");
    ServerConfig apart = ConfigLoader.load(f, Map.of(), Map.of());
    assertThat(apart.storeRedis()).isEqualTo("redis://10.0.0.5:6379");
    assertThat(apart.rateRedis()).isEqualTo("redis://10.0.0.6:6379");
  }

  @Test
  void transportBothMeansBoth() {
    CommandLine cli = CommandLine.parse(List.of("--transport=both", "--grpc-port=5000"), SHIPPED);
    ServerConfig c = ConfigLoader.load(cli.config, cli.overrides, cli.flags);
    assertThat(c.transports()).containsExactly("grpc", "socket");
    assertThat(c.grpcPort()).isEqualTo(5000);
  }

  @Test
  void badSettingsAreNamed() throws IOException {
    assertBad("grpc:\n  port: 99999\n", "config.yaml: grpc.port must be 0-65535, was 99999");
    assertBad("grpc:\n  port: abc\n", "config.yaml: grpc.port must be a whole number, was 'abc'");
    assertBad("auth: maybe\n", "config.yaml: auth must be one of open, password, was 'maybe'");
    assertBad("trasnports: [grpc]\n", "config.yaml: unknown setting 'trasnports'");
    assertBad("transports: [grpc, smoke]\n", "config.yaml: transports 'smoke' is not one of");
    assertBad("rateLimit:\n  perSecond: 0\n", "config.yaml: rateLimit.perSecond must be 1-");
    assertBad(
        "rateLimit:\n  recipientsPerSecond: -1\n",
        "config.yaml: rateLimit.recipientsPerSecond must be 0-");
    assertBad("rateLimit:\n  redis: localhost\n", "config.yaml: rateLimit.redis must look like redis://host:port");
    assertBad("demoUsers: [alice, 'Bad Name']\n", "config.yaml: demoUsers 'Bad Name' is not a valid user name");
    assertBad("store:\n  type: redis\n", "config: store.redis is required for store type redis");
    assertBad(
        "store:\n  type: redis\n  redis: localhost\n",
        "config.yaml: store.redis must look like redis://host:port");
    assertBad("[1, 2]\n", "config.yaml: the top level must be a mapping");
    assertBad("auth: open\nauth: password\n", "config.yaml: cannot read");
  }

  @Test
  void badFlagsAreNamed() {
    assertThatThrownBy(() -> load("--grpc-port", "x"))
        .hasMessage("--grpc-port must be a whole number, was 'x'");
    assertThatThrownBy(() -> load("--port", "4000"))
        .hasMessageContaining("--port needs a single --transport");
    assertThatThrownBy(() -> load("--frobnicate", "1")).hasMessageContaining("unknown option --frobnicate");
    assertThatThrownBy(() -> load("--store")).hasMessageContaining("--store needs a value");
    assertThatThrownBy(() -> load("--store", "mongo"))
        .hasMessage("--store must be one of memory, embedded, redis, was 'mongo'");
  }

  @Test
  void theMetricsPortIsOffUnlessGivenAndLoopbackByDefault() throws IOException {
    ServerConfig shipped = load();
    assertThat(shipped.metricsEnabled()).isFalse();
    assertThat(shipped.metricsHost()).isEqualTo("127.0.0.1");
    ServerConfig on = load("--metrics-port", "9464");
    assertThat(on.metricsEnabled()).isTrue();
    assertThat(on.metricsPort()).isEqualTo(9464);
    assertThat(load("--metrics-port", "0").metricsEnabled()).isTrue();
    assertThat(load("--metrics-port", "off").metricsEnabled()).isFalse();
    assertThatThrownBy(() -> load("--metrics-port", "http"))
        .hasMessage("--metrics-port must be a whole number, was 'http'");
    assertBad("metrics:\n  port: 70000\n", "config.yaml: metrics.port must be 0-65535, was 70000");
    assertBad("metrics:\n  prot: 9464\n", "config.yaml: unknown setting 'metrics.prot'");
  }

  @Test
  void aMissingFileIsAClearError() {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file not found");
  }

  private ServerConfig load(String... args) {
    CommandLine cli = CommandLine.parse(List.of(args), SHIPPED);
    return ConfigLoader.load(cli.config, cli.overrides, cli.flags);
  }

  private void assertBad(String yaml, String message) throws IOException {
    Path f = dir.resolve("config.yaml");
    Files.writeString(f, yaml);
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }
}
