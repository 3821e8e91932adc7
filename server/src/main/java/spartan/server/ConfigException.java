package spartan.server;

/** A bad setting. The message names the setting and where it came from; start-up stops. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
