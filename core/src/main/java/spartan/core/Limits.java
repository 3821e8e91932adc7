package spartan.core;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds the core service enforces on every input. Transports add their own frame limits on
 * top. Values are validated here so a bad configuration fails at start-up, naming the setting.
 *
 * @param maxBodyChars longest plain-text body, in UTF-16 chars
 * @param maxEnvelopeBytes largest sealed (end-to-end) envelope, in bytes
 * @param maxGroupMembers most members a group may have
 * @param maxSessionsPerUser most concurrent sessions one user may hold
 * @param sessionIdleTimeout how long a session with no event stream survives without use
 */
public record Limits(
    int maxBodyChars,
    int maxEnvelopeBytes,
    int maxGroupMembers,
    int maxSessionsPerUser,
    Duration sessionIdleTimeout) {

  public static final int MAX_CLIENT_MSG_ID = 64;
  public static final int MAX_PAGE = 1000;
  public static final int MAX_HISTORY = 500;
  public static final int MIN_PASSWORD = 8;
  public static final int MAX_PASSWORD = 256;
  public static final int MAX_KEY_BUNDLE = 1024;
  /** Most pending group invitations one user may hold; past it, invitations to them fail. */
  public static final int MAX_PENDING_INVITES = 100;
  /**
   * Most pending invitations one user may hold from one inviter, so no one user can fill another's
   * {@link #MAX_PENDING_INVITES} and so shut out everyone else's invitations to them.
   */
  public static final int MAX_PENDING_INVITES_PER_INVITER = 5;
  /** Most users one {@code invite} (or {@code createGroup}) call may name. */
  public static final int MAX_INVITES_PER_CALL = 1000;

  public Limits {
    positive("limits.maxBodyChars", maxBodyChars);
    positive("limits.maxEnvelopeBytes", maxEnvelopeBytes);
    positive("limits.maxGroupMembers", maxGroupMembers);
    positive("limits.maxSessionsPerUser", maxSessionsPerUser);
    Objects.requireNonNull(sessionIdleTimeout, "limits.sessionIdleTimeout");
    if (sessionIdleTimeout.isNegative() || sessionIdleTimeout.isZero()) {
      throw new IllegalArgumentException("limits.sessionIdleTimeout must be positive");
    }
  }

  /**
   * 4,000-char bodies, 40 KiB envelopes (base64 of 40 KiB still fits a 64 KiB socket line),
   * groups of 1,000, 16 sessions a user, 1 h idle.
   */
  public static Limits defaults() {
    return new Limits(4000, 40 * 1024, 1000, 16, Duration.ofHours(1));
  }

  public Limits withMaxGroupMembers(int n) {
    return new Limits(maxBodyChars, maxEnvelopeBytes, n, maxSessionsPerUser, sessionIdleTimeout);
  }

  public Limits withMaxBodyChars(int n) {
    return new Limits(n, maxEnvelopeBytes, maxGroupMembers, maxSessionsPerUser, sessionIdleTimeout);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
