package spartan.client;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * The parsed command line: {@code [--transport grpc|socket] [--host H] [--port P] [--keys DIR]
 * [--no-e2e] [--tls] [--ca FILE] [--tls-name NAME] [user]}. {@code port} is null when not given
 * (the transport's default applies); {@code keys} is null for the default key directories; {@code
 * user} may be null. {@code --ca} and {@code --tls-name} imply {@code --tls}; {@code ca} null
 * means the system trust store, {@code tlsName} null the host's own name.
 */
record ClientArgs(
    String transport,
    String host,
    Integer port,
    String user,
    Path keys,
    boolean noE2e,
    boolean tls,
    Path ca,
    String tlsName) {
  static final String USAGE =
      "usage: spartan client [--transport grpc|socket] [--host HOST] [--port PORT]"
          + " [--keys DIR] [--no-e2e] [--tls] [--ca FILE] [--tls-name NAME] [user]";

  /** Without TLS. */
  ClientArgs(String transport, String host, Integer port, String user, Path keys, boolean noE2e) {
    this(transport, host, port, user, keys, noE2e, false, null, null);
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
    String host = "localhost";
    Integer port = null;
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
        case "--host", "-h" -> host = value != null ? value : next(args, ++i, a);
        case "--port", "-p" -> port = port(value != null ? value : next(args, ++i, a));
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
    if (host.isBlank()) {
      throw new UsageException("--host must not be empty");
    }
    return new ClientArgs(transport, host, port, user, keys, noE2e, tls, ca, tlsName);
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
    try {
      int p = Integer.parseInt(s);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--port must be 1-65535, was " + s);
  }
}
