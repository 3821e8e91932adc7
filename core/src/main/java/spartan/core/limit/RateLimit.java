package spartan.core.limit;

/**
 * A per-key rate: {@code perSecond} calls a second sustained, and up to {@code burst} calls at
 * once after being idle (the bucket size). Over any one-second window at most {@code perSecond +
 * burst} calls are allowed.
 *
 * <p>Validated on construction; the messages name the configuration settings ({@code
 * rateLimit.perSecond}, {@code rateLimit.burst}) so a bad {@code config.yaml} fails at start-up
 * with a message the operator can act on.
 *
 * @param perSecond sustained calls per second per key, 1–1,000,000
 * @param burst calls allowed at once after idling, 1–1,000,000
 */
public record RateLimit(int perSecond, int burst) {
  /** The largest rate or burst accepted; more is not a limit any more. */
  public static final int MAX = 1_000_000;

  /** The seed's limit: 15 messages a second, with a burst of one second's worth. */
  public static final RateLimit DEFAULT = new RateLimit(15, 15);

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  public RateLimit {
    if (perSecond < 1 || perSecond > MAX) {
      throw new IllegalArgumentException(
          "rateLimit.perSecond must be 1-" + MAX + ", was " + perSecond);
    }
    if (burst < 1 || burst > MAX) {
      throw new IllegalArgumentException("rateLimit.burst must be 1-" + MAX + ", was " + burst);
    }
  }

  /**
   * The GCRA emission interval: the time one permit costs. Rounded up, so the sustained rate
   * never exceeds {@code perSecond}.
   */
  public long intervalNanos() {
    return (NANOS_PER_SECOND + perSecond - 1) / perSecond;
  }

  /**
   * The GCRA delay tolerance: how far ahead of now the theoretical arrival time may run. {@code
   * burst - 1} intervals, so exactly {@code burst} calls pass at once from idle.
   */
  public long toleranceNanos() {
    return (burst - 1) * intervalNanos();
  }
}
