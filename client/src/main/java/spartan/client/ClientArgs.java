package spartan.client;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parsed command line: {@code [--transport grpc|socket] [--server H:P[,H:P...]] [--host H]
 * [--port P] [--keys DIR] [--no-e2e] [--tls] [--ca FILE] [--tls-name NAME] [user]}.
 *
 * <p>{@code servers} are the addresses to try, in order (at least one, at most {@link
 * #MAX_SERVERS}): those of {@code --server}, then those of {@code --host}/{@code --port}. Both of
 * the latter may repeat: several hosts share one port, one host takes several ports, or as many
 * hosts as ports pair up in order; with neither flag nor {@code --server} the one address is
 * {@code localhost}. A port that is null means the transport's default. {@code keys} is null for
 * the default key directories; {@code user} may be null. {@code --ca} and {@code --tls-name}
 * imply {@code --tls}; {@code ca} null means the system trust store, {@code tlsName} null each
 * host's own name.
 */
record ClientArgs(
    String transport,
    List<ServerAddress> servers,
    String user,
    Path keys,
    boolean noE2e,
    boolean tls,
    Path ca,
    String tlsName) {
  static final String USAGE =
      "usage: spartan client [--transport grpc|socket] [--server HOST:PORT[,HOST:PORT...]]"
          + " [--host HOST]... [--port PORT]... [--keys DIR] [--no-e2e] [--tls] [--ca FILE]"
          + " [--tls-name NAME] [user]";

  /** The most server addresses one command line may give. */
  static final int MAX_SERVERS = 16;

  ClientArgs {
    servers = List.copyOf(servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("at least one server address");
    }
  }

  /** One server, without TLS. */
  ClientArgs(String transport, String host, Integer port, String user, Path keys, boolean noE2e) {
    this(transport, List.of(new ServerAddress(host, port)), user, keys, noE2e, false, null, null);
  }

  /** The defaults and {@code user}: what a plain {@code spartan client [user]} means. */
  ClientArgs(String transport, String host, Integer port, String user) {
    this(transport, host, port, user, null, false);
  }

  /** A command-line mistake; the message says which and is followed by {@link #USAGE}. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static ClientArgs parse(List<String> args) throws UsageException {
    String transport = "grpc";
    List<ServerAddress> servers = new ArrayList<>();
    List<String> hosts = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    String user = null;
    Path keys = null;
    boolean noE2e = false;
    boolean tls = false;
    Path ca = null;
    String tlsName = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "--transport", "-t" -> transport = value != null ? value : next(args, ++i, a);
        case "--server", "-s" -> {
          String list = value != null ? value : next(args, ++i, a);
          for (String one : list.split(",", MAX_SERVERS + 2)) {
            servers.add(ServerAddress.parse(one.strip(), a));
          }
          tooMany(servers.size());
        }
        case "--host", "-h" -> {
          hosts.add(ServerAddress.host(value != null ? value : next(args, ++i, a), "--host"));
          tooMany(hosts.size());
        }
        case "--port", "-p" -> {
          ports.add(port(value != null ? value : next(args, ++i, a)));
          tooMany(ports.size());
        }
        case "--keys" -> keys = keys(value != null ? value : next(args, ++i, a));
        case "--no-e2e" -> noE2e = true;
        case "--tls" -> tls = true;
        case "--ca" -> {
          ca = file(value != null ? value : next(args, ++i, a), a);
          tls = true;
        }
        case "--tls-name" -> {
          tlsName = value != null ? value : next(args, ++i, a);
          if (tlsName.isBlank()) {
            throw new UsageException("--tls-name must not be empty");
          }
          tls = true;
        }
        case "--help" -> throw new UsageException("");
        default -> {
          if (a.startsWith("-")) {
            throw new UsageException("unknown option " + a);
          }
          if (user != null) {
            throw new UsageException("only one user name, got " + user + " and " + a);
          }
          user = a;
        }
      }
    }
    if (!transport.equals("grpc") && !transport.equals("socket")) {
      throw new UsageException("--transport must be grpc or socket, was " + transport);
    }
    servers.addAll(pairs(hosts, ports, !servers.isEmpty()));
    tooMany(servers.size());
    return new ClientArgs(transport, servers, user, keys, noE2e, tls, ca, tlsName);
  }

  /** The addresses {@code --host} and {@code --port} give; see the class comment. */
  private static List<ServerAddress> pairs(
      List<String> hosts, List<Integer> ports, boolean haveServers) throws UsageException {
    List<ServerAddress> out = new ArrayList<>();
    if (hosts.isEmpty() && ports.isEmpty()) {
      if (!haveServers) {
        out.add(new ServerAddress("localhost", null));
      }
    } else if (hosts.size() <= 1) {
      String host = hosts.isEmpty() ? "localhost" : hosts.get(0);
      if (ports.isEmpty()) {
        out.add(new ServerAddress(host, null));
      }
      for (Integer p : ports) {
        out.add(new ServerAddress(host, p));
      }
    } else if (ports.size() <= 1) {
      for (String h : hosts) {
        out.add(new ServerAddress(h, ports.isEmpty() ? null : ports.get(0)));
      }
    } else if (hosts.size() == ports.size()) {
      for (int i = 0; i < hosts.size(); i++) {
        out.add(new ServerAddress(hosts.get(i), ports.get(i)));
      }
    } else {
      throw new UsageException(
          hosts.size() + " --host and " + ports.size() + " --port do not pair up; give one"
              + " port for all hosts, one host for all ports, or as many of each");
    }
    return out;
  }

  private static void tooMany(int n) throws UsageException {
    if (n > MAX_SERVERS) {
      throw new UsageException("at most " + MAX_SERVERS + " server addresses, got more");
    }
  }

  private static Path file(String s, String option) throws UsageException {
    try {
      if (!s.isBlank()) {
        return Path.of(s);
      }
    } catch (InvalidPathException e) {
      // reported below
    }
    throw new UsageException(option + " must be a file, was '" + s + "'");
  }

  private static Path keys(String s) throws UsageException {
    try {
      if (!s.isBlank()) {
        return Path.of(s);
      }
    } catch (InvalidPathException e) {
      // reported below
    }
    throw new UsageException("--keys must be a directory, was '" + s + "'");
  }

  private static String next(List<String> args, int i, String option) throws UsageException {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  private static int port(String s) throws UsageException {
    return port(s, "--port");
  }

  /** A port 1-65535; {@code what} names it in the error. */
  static int port(String s, String what) throws UsageException {
    try {
      int p = Integer.parseInt(s);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(what + " must be 1-65535, was " + s);
  }
}
