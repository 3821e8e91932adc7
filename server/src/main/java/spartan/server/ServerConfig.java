package spartan.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import spartan.core.AuthMode;
import spartan.core.Limits;

/**
 * The validated server configuration: {@code config.yaml} with command-line overrides applied.
 * Built only by {@link ConfigLoader}, which checks every value and names the bad one.
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
    int maxConnectionsPerAddress) {

  public ServerConfig {
    transports = List.copyOf(transports);
    demoUsers = List.copyOf(demoUsers);
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
