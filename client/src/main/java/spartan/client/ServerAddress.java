package spartan.client;

/**
 * One server address from the command line: a host name or IP literal and a port; {@code port}
 * null means the transport's default. Written {@code host}, {@code host:port}, or {@code
 * [v6-literal]:port}.
 */
record ServerAddress(String host, Integer port) {
  /** The longest host name DNS allows (RFC 1035), and so the longest accepted. */
  static final int MAX_HOST_CHARS = 253;

  ServerAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
  }

  /**
   * Parses {@code host[:port]} or {@code [v6]:port}; {@code option} names the flag in errors.
   *
   * @throws ClientArgs.UsageException if the host is empty or too long, or the port is not 1-65535
   */
  static ServerAddress parse(String s, String option) throws ClientArgs.UsageException {
    String host;
    String port = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new ClientArgs.UsageException(option + " has an unclosed '[' in '" + s + "'");
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new ClientArgs.UsageException(option + " expects [address]:port, was '" + s + "'");
        }
        port = rest.substring(1);
      }
    } else {
      int colon = s.indexOf(':');
      if (colon >= 0 && s.indexOf(':', colon + 1) >= 0) {
        host = s; // a bare IPv6 literal
      } else if (colon >= 0) {
        host = s.substring(0, colon);
        port = s.substring(colon + 1);
      } else {
        host = s;
      }
    }
    return new ServerAddress(host(host, option), port == null ? null : ClientArgs.port(port, option + " port"));
  }

  /** Checks a host as given to {@code --host} or inside {@code --server}. */
  static String host(String host, String option) throws ClientArgs.UsageException {
    if (host.isBlank()) {
      throw new ClientArgs.UsageException(option + " needs a host name, was empty");
    }
    if (host.length() > MAX_HOST_CHARS) {
      throw new ClientArgs.UsageException(
          option + " host name is " + host.length() + " characters; at most " + MAX_HOST_CHARS);
    }
    return host;
  }

  /** {@code host:port} (IPv6 literals in brackets), with {@code defaultPort} when none was given. */
  String label(int defaultPort) {
    return label(host, port != null ? port : defaultPort);
  }

  static String label(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
