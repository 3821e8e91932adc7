package spartan.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import spartan.core.AuthMode;
import spartan.core.Limits;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * The validated server configuration: {@code config.yaml} with command-line overrides applied.
 * Built only by {@link ConfigLoader}, which checks every value and names the bad one.
 *
 * <p>{@code tlsCert} and {@code tlsKey} are both set (TLS on every transport) or both null;
 * {@code rateRedisCa} is null for the system trust store.
 */
public record ServerConfig(
    List<String> transports,
    String host,
    int grpcPort,
    int socketPort,
    AuthMode auth,
    List<String> demoUsers,
    StoreType storeType,
    Path dataDir,
    String storeRedis,
    int ratePerSecond,
    int rateBurst,
    String rateRedis,
    int recipientsPerSecond,
    int cacheMessagesPerConversation,
    int cacheConversations,
    int maxFrameBytes,
    Limits limits,
    Duration loginTimeout,
    Duration keepAlive,
    int maxConnections,
    int maxConnectionsPerAddress,
    SqliteChatStore.Sync storeSync,
    long cacheMaxBytes,
    AuthLimits authLimits,
    boolean insecureOpenAuthOnNetwork,
    int metricsPort,
    String metricsHost,
    Path tlsCert,
    Path tlsKey,
    Path rateRedisCa,
    Cluster cluster) {

  public ServerConfig {
    transports = List.copyOf(transports);
    demoUsers = List.copyOf(demoUsers);
  }

  /**
   * Login and sign-up throttling ({@code limits.loginFailuresPerName}, {@code
   * limits.loginFailuresPerAddress}, {@code limits.maxLoginBackoffSeconds}, {@code
   * limits.signUpsPerAddressPerHour}); see {@link spartan.core.auth.AuthThrottle}.
   */
  public record AuthLimits(
      int loginFailuresPerName,
      int loginFailuresPerAddress,
      Duration maxLoginBackoff,
      int signUpsPerAddressPerHour) {}

  /**
   * Several nodes on one Redis ({@code cluster.*}): {@code redis} null means this node is alone;
   * {@code nodeId} null picks a random id at start.
   */
  public record Cluster(
      String redis, String nodeId, Duration heartbeat, Duration deadAfter, Duration checkEvery) {
    public boolean enabled() {
      return redis != null;
    }
  }

  /** Whether the admin HTTP port (metrics and health) is on; {@link #metricsPort} 0 picks one. */
  public boolean metricsEnabled() {
    return metricsPort >= 0;
  }

  /** Whether the transports speak TLS. */
  public boolean tls() {
    return tlsCert != null;
  }

  /** Where accounts and messages live. */
  public enum StoreType {
    MEMORY,
    EMBEDDED,
    REDIS
  }

  /** The port configured for a transport by name. */
  public int portOf(String transport) {
    return switch (transport) {
      case "grpc" -> grpcPort;
      case "socket" -> socketPort;
      default -> throw new IllegalArgumentException("unknown transport " + transport);
    };
  }
}
