package spartan.core.tls;

import java.nio.file.Path;

/**
 * A certificate, key or CA file that cannot be used: missing, unreadable, too long, not PEM, or a
 * key that does not match its certificate. The message names the setting and the file, so it can
 * be shown to an operator as it is.
 */
public final class TlsFileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  TlsFileException(String setting, Path file, String why) {
    super(setting + " (" + file + "): " + why);
  }

  TlsFileException(String setting, Path file, String why, Throwable cause) {
    super(setting + " (" + file + "): " + why, cause);
  }
}
