package spartan.server;

import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import spartan.core.ChatException;
import spartan.core.store.redis.EmbeddedToRedis;
import spartan.core.store.redis.RedisChatStore;
import spartan.core.store.redis.RedisChatStoreBuilder;
import spartan.core.tls.PemFiles;
import spartan.core.tls.TlsFileException;

/**
 * {@code spartan admin migrate}: moves an embedded store (its data directory) into an empty
 * Redis for {@code store.type: redis}; see {@link EmbeddedToRedis}. Run it with the server
 * stopped: the embedded store's lock refuses a directory a server holds.
 */
public final class AdminMain {
  static final String USAGE =
      """
      Usage: spartan admin migrate --from DIR --to URL [--redis-ca FILE]

      Moves the embedded store in DIR (store.dataDir, with the server stopped) into the empty
      Redis at URL (redis://host:port, or rediss:// for TLS; --redis-ca trusts a private CA):
      accounts, password hashes, public keys, groups, invitations, undelivered messages with
      their sequences, and history. Then start the servers with --store redis --redis URL.
      DIR is left as it was. A Redis that already holds a Spartan store is refused.
      """;

  private AdminMain() {}

  public static void main(String[] args) {
    int code = run(List.of(args), System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")) {
      (args.isEmpty() ? err : out).print(USAGE);
      return args.isEmpty() ? 2 : 0;
    }
    if (!args.get(0).equals("migrate")) {
      err.println("spartan admin: unknown command '" + args.get(0) + "' (see --help)");
      return 2;
    }
    Path from = null;
    String to = null;
    Path ca = null;
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      if (!List.of("--from", "--to", "--redis-ca").contains(a)) {
        err.println("spartan admin: unknown argument '" + a + "' (see --help)");
        return 2;
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          err.println("spartan admin: " + a + " needs a value (see --help)");
          return 2;
        }
        value = args.get(++i);
      }
      try {
        switch (a) {
          case "--from" -> from = Path.of(value);
          case "--to" -> to = value;
          default -> ca = Path.of(value);
        }
      } catch (InvalidPathException e) {
        err.println("spartan admin: " + a + " is not a valid path: " + value);
        return 2;
      }
    }
    if (from == null || to == null) {
      err.println("spartan admin: migrate needs --from DIR and --to URL (see --help)");
      return 2;
    }
    if (!from.resolve(spartan.core.store.sqlite.SqliteChatStore.FILE_NAME).toFile().isFile()) {
      err.println("spartan admin: no embedded store in " + from);
      return 1;
    }
    RedisChatStoreBuilder target;
    try {
      target = RedisChatStore.builder().url(to);
      if (ca != null) {
        target.ca(PemFiles.trustManager(ca, "--redis-ca"));
      }
    } catch (TlsFileException e) {
      err.println("spartan admin: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("spartan admin: --to " + e.getMessage().replace("store.redis ", ""));
      return 2;
    }
    try {
      EmbeddedToRedis.Summary s = EmbeddedToRedis.migrate(from, target);
      out.printf(
          "Moved %d accounts, %d groups, %d invitations, %d messages of history and %d"
              + " undelivered messages.%n",
          s.accounts(), s.groups(), s.invitations(), s.history(), s.undelivered());
      out.println("Start the servers with: ./spartan server --store redis --redis " + redacted(to));
      return 0;
    } catch (ChatException e) {
      err.println("spartan admin: " + e.getMessage());
      return 1;
    }
  }

  /** The URL without its password, for printing. */
  private static String redacted(String url) {
    int at = url.indexOf('@');
    int scheme = url.indexOf("://");
    return at < 0 ? url : url.substring(0, scheme + 3) + "…@" + url.substring(at + 1);
  }
}
