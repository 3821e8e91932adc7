package spartan.core.crypto;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A key or pin file exists but cannot be trusted: it is malformed, truncated, inconsistent, or
 * readable by other users. The message names the file and the problem; it never contains key
 * material. Distinct from other {@link IOException}s so a client can tell "the file is bad" (tell
 * the user, do not overwrite it) from "the disk failed".
 */
public final class KeyFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public KeyFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The file that is bad. */
  public Path file() {
    return file;
  }
}
