package spartan.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import spartan.core.ChatService;

/**
 * Where the client may connect, and how long it tries: the server addresses in the order given,
 * each host name resolved afresh for every round of attempts (so one name may stand for several
 * nodes, and a changed DNS record is noticed), and the connector that opens a {@link
 * ChatService} to one {@link Endpoint}. {@link Connection} walks the endpoints.
 *
 * <p>A name that resolves to one address is connected to by name, as the transport would on its
 * own; a name that resolves to several becomes one endpoint per address (at most {@link
 * #MAX_PER_NAME}), connected to by address with TLS still checking the name. A round holds at most
 * {@link #MAX_ENDPOINTS}. Thread-safe; {@link #endpoints} and {@link #open} may block.
 */
final class Dialer {
  /** The most endpoints one host name contributes to a round. */
  static final int MAX_PER_NAME = 16;

  /** The most endpoints in one round. */
  static final int MAX_ENDPOINTS = 32;

  /**
   * One place to try.
   *
   * @param label how the person sees it ({@code host:port}, or {@code host:port (address)} when
   *     the name resolved to several); null for the single, unnamed server of {@link #fixed}
   * @param host what to connect to: the host as given, or one of its addresses
   * @param port the port
   * @param serverName the host as given, which TLS checks the certificate against
   */
  record Endpoint(String label, String host, int port, String serverName) {}

  /**
   * How failover paces itself.
   *
   * @param attemptTimeout the longest one attempt (connect, then resume or log in) may take
   *     before the next endpoint is tried
   * @param announceAfter how long a reconnect may take before the person is told the connection
   *     was lost; a quicker one is told in one line when done
   * @param firstBackoff the pause after the first round in which no endpoint answered; it doubles
   *     with each further round, with jitter
   * @param maxBackoff the longest pause between rounds
   */
  record Timing(
      Duration attemptTimeout, Duration announceAfter, Duration firstBackoff, Duration maxBackoff) {
    static final Timing DEFAULT =
        new Timing(
            Duration.ofSeconds(5),
            Duration.ofSeconds(2),
            Duration.ofMillis(500),
            Duration.ofSeconds(10));

    Timing {
      for (Duration d : List.of(attemptTimeout, announceAfter, firstBackoff, maxBackoff)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("failover durations must be positive, was " + d);
        }
      }
      if (maxBackoff.compareTo(firstBackoff) < 0) {
        throw new IllegalArgumentException("maxBackoff is shorter than firstBackoff");
      }
    }

    Timing withAnnounceAfter(Duration d) {
      return new Timing(attemptTimeout, d, firstBackoff, maxBackoff);
    }
  }

  /** Looks a host name up; {@link InetAddress#getAllByName} outside tests. */
  interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;
  }

  private final List<ServerAddress> addresses;
  private final int defaultPort;
  private final Resolver resolver;
  private final Function<Endpoint, ChatService> connector;
  private final Timing timing;
  /** The one endpoint of {@link #fixed}; null when the endpoints come from {@code addresses}. */
  private final Endpoint only;

  private Dialer(
      List<ServerAddress> addresses,
      int defaultPort,
      Resolver resolver,
      Function<Endpoint, ChatService> connector,
      Timing timing,
      Endpoint only) {
    this.only = only;
    this.addresses = List.copyOf(addresses);
    this.defaultPort = defaultPort;
    this.resolver = resolver;
    this.connector = connector;
    this.timing = timing;
  }

  /**
   * The servers at {@code addresses} (a null port meaning {@code defaultPort}), names resolved
   * with {@code resolver}, each endpoint opened with {@code connector}.
   */
  static Dialer to(
      List<ServerAddress> addresses,
      int defaultPort,
      Resolver resolver,
      Function<Endpoint, ChatService> connector,
      Timing timing) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no server addresses");
    }
    return new Dialer(
        addresses,
        defaultPort,
        Objects.requireNonNull(resolver, "resolver"),
        Objects.requireNonNull(connector, "connector"),
        Objects.requireNonNull(timing, "timing"),
        null);
  }

  /** The system resolver. */
  static List<InetAddress> systemResolver(String host) throws UnknownHostException {
    return List.of(InetAddress.getAllByName(host));
  }

  /**
   * One server whose address the caller keeps to itself (an in-process core, a test's
   * connector): {@code connector} opens it, {@code port} is what the greeting names.
   */
  static Dialer fixed(Supplier<ChatService> connector, int port) {
    Objects.requireNonNull(connector, "connector");
    return new Dialer(
        List.of(),
        port,
        h -> List.of(),
        e -> connector.get(),
        Timing.DEFAULT,
        new Endpoint(null, "localhost", port, "localhost"));
  }

  Timing timing() {
    return timing;
  }

  /**
   * This round's endpoints, in the order the addresses were given (and, for a name, in the order
   * the resolver returned them), without repeats. A name that cannot be resolved stays one
   * endpoint by name, so the connector reports it as it would have.
   */
  List<Endpoint> endpoints() {
    if (only != null) {
      return List.of(only);
    }
    Set<Endpoint> out = new LinkedHashSet<>();
    for (ServerAddress a : addresses) {
      int port = a.port() != null ? a.port() : defaultPort;
      String byName = ServerAddress.label(a.host(), port);
      List<InetAddress> found;
      try {
        found = resolver.resolve(a.host());
      } catch (UnknownHostException | RuntimeException e) {
        found = List.of();
      }
      Set<String> distinct = new LinkedHashSet<>();
      for (InetAddress i : found) {
        if (distinct.size() < MAX_PER_NAME) {
          distinct.add(i.getHostAddress());
        }
      }
      if (distinct.size() <= 1) {
        out.add(new Endpoint(byName, a.host(), port, a.host()));
      } else {
        for (String ip : distinct) {
          out.add(new Endpoint(byName + " (" + ip + ")", ip, port, a.host()));
        }
      }
      if (out.size() >= MAX_ENDPOINTS) {
        break;
      }
    }
    return new ArrayList<>(out).subList(0, Math.min(out.size(), MAX_ENDPOINTS));
  }

  /** A connector to {@code e}; it connects lazily or at once, as its transport does. */
  ChatService open(Endpoint e) {
    return connector.apply(e);
  }
}
