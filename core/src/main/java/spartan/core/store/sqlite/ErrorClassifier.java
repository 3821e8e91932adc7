package spartan.core.store.sqlite;

import java.nio.file.Path;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ErrorCode;

/**
 * Turns what SQLite throws into what a client may see, in one place for the writer and the
 * readers: ChatExceptions thrown on purpose pass through; SQLite's transient and I/O faults are
 * UNAVAILABLE; anything else is INTERNAL. The cause stays attached for the log and is never part
 * of the message.
 */
final class ErrorClassifier {
  private static final Logger log = LoggerFactory.getLogger(ErrorClassifier.class);

  private final Path file;

  ErrorClassifier(Path file) {
    this.file = file;
  }

  /** Maps a failure of {@code what} (a write, a commit, a read...) and logs it. */
  ChatException classify(Throwable e, String what) {
    if (e instanceof ChatException c) {
      return c;
    }
    if (e instanceof SQLException s && transientFault(s.getErrorCode())) {
      log.warn("Message store {} failed ({}): {}", file, what, s.getMessage(), s);
      return new ChatException(
          ErrorCode.UNAVAILABLE, "The message store is unavailable; try again.", s);
    }
    log.error("Message store {} failed unexpectedly ({})", file, what, e);
    return new ChatException(ErrorCode.INTERNAL, "internal error", e);
  }

  static ChatException closed() {
    return ChatException.unavailable("The message store is closed.");
  }

  /** SQLite primary result codes a retry (or an operator freeing disk space) may cure. */
  static boolean transientFault(int code) {
    return switch (code & 0xff) {
      case 5, // BUSY
          6, // LOCKED
          7, // NOMEM
          8, // READONLY
          10, // IOERR
          13, // FULL
          14, // CANTOPEN
          15 -> // PROTOCOL
          true;
      default -> false;
    };
  }
}
