package spartan.core.spi;

import java.io.IOException;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import spartan.core.ChatService;

/**
 * A wire transport, found at run time with {@link ServiceLoader} (as grpc-java finds its {@code
 * ServerProvider}s), so the server, client and benchmarks depend on transports only at runtime
 * scope and select one by {@link #name()}.
 *
 * <p>Implementations are stateless factories and thread-safe.
 */
public interface TransportProvider {

  /** The name used on the command line and in {@code config.yaml}: {@code grpc}, {@code socket}. */
  String name();

  /** The port a server of this transport listens on unless told otherwise. */
  int defaultPort();

  /**
   * Exposes {@code service} on {@code options.host():options.port()} (port 0 picks a free one).
   * The transport runs every call into {@code service} on {@code options.blockingExecutor()},
   * never on its I/O threads.
   */
  TransportServer serve(ChatService service, TransportOptions options) throws IOException;

  /** A client connector: a {@link ChatService} that talks to a remote server of this transport. */
  ChatService connect(TransportOptions options);

  /** The providers on the class path, in a stable order. */
  static List<TransportProvider> all() {
    return ServiceLoader.load(TransportProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .sorted(java.util.Comparator.comparing(TransportProvider::name))
        .collect(Collectors.toList());
  }

  /** The provider called {@code name}, or an {@link IllegalArgumentException} listing the known. */
  static TransportProvider named(String name) {
    List<TransportProvider> all = all();
    return all.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown transport '"
                        + name
                        + "' (available: "
                        + all.stream().map(TransportProvider::name).collect(Collectors.joining(", "))
                        + ")"));
  }
}
