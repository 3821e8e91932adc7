package spartan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;

/**
 * Where the servers under test run: started fresh in this process for each scenario and
 * binding, or already running at {@code --host/--port} (a {@code bench serve}, possibly pinned to
 * other CPUs). Remote ports follow one layout, the one {@code bench serve} binds: grpc at the
 * base port, socket at base + 1, the relay at base + 2.
 */
final class Deployment {
  static final String RELAY = "netty";
  static final String INPROC = "inproc";
  /** Transports in the order of the remote port layout. */
  static final List<String> PORT_ORDER = List.of("grpc", "socket", RELAY);

  private final String host; // null: in-process
  private final int basePort;

  private Deployment(String host, int basePort) {
    this.host = host;
    this.basePort = basePort;
  }

  static Deployment inProcess() {
    return new Deployment(null, 0);
  }

  static Deployment remote(String host, int basePort) {
    return new Deployment(host, basePort);
  }

  boolean isRemote() {
    return host != null;
  }

  static int remotePort(int basePort, String binding) {
    int i = PORT_ORDER.indexOf(binding);
    if (i < 0) {
      throw new IllegalArgumentException("binding " + binding + " cannot be reached remotely");
    }
    return basePort + i;
  }

  /** Whether {@code binding} can run here: the relay and inproc always; a transport if on the class path. */
  static boolean available(String binding) {
    if (binding.equals(RELAY) || binding.equals(INPROC)) {
      return true;
    }
    return TransportProvider.all().stream().anyMatch(p -> p.name().equals(binding));
  }

  /** Opens a target for {@code binding}; in-process, this starts its server. */
  Target open(String binding) {
    return isRemote() ? openRemote(binding) : openInProcess(binding);
  }

  private Target openInProcess(String binding) {
    ServerStats.Source local = ServerStats::sampleThisProcess;
    if (binding.equals(RELAY)) {
      RelayServer relay = RelayServer.start("127.0.0.1", 0);
      return new RelayTarget("127.0.0.1", relay.port(), relay);
    }
    CoreServer core = new CoreServer();
    if (binding.equals(INPROC)) {
      return new ChatTarget(INPROC, ChatTarget.inProcess(core.service()), local, true, core);
    }
    try {
      TransportProvider provider = TransportProvider.named(binding);
      TransportServer server =
          provider.serve(
              core.service(), TransportOptions.of("127.0.0.1", 0, core.blockingExecutor()));
      TransportOptions client = TransportOptions.of("127.0.0.1", server.port(), null);
      return new ChatTarget(
          binding,
          () -> provider.connect(client),
          local,
          true,
          () -> {
            server.close();
            core.close();
          });
    } catch (IOException e) {
      core.close();
      throw new UncheckedIOException("could not start the " + binding + " server", e);
    } catch (RuntimeException e) {
      core.close();
      throw e;
    }
  }

  private Target openRemote(String binding) {
    int relayPort = remotePort(basePort, RELAY);
    if (binding.equals(RELAY)) {
      return new RelayTarget(host, relayPort, null);
    }
    if (binding.equals(INPROC)) {
      throw new IllegalArgumentException("inproc cannot be measured against a remote server");
    }
    TransportProvider provider = TransportProvider.named(binding);
    TransportOptions client = TransportOptions.of(host, remotePort(basePort, binding), null);
    // A bench serve answers server figures on its relay port; another server just has none.
    RelayTarget statsProbe = new RelayTarget(host, relayPort, null);
    return new ChatTarget(
        binding, () -> provider.connect(client), statsProbe::stats, false, statsProbe);
  }
}
