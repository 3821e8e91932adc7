package spartan.core.spi;

import java.time.Instant;

/**
 * What the core tells an operator's metrics about: the few events a chat server is watched by.
 * The core calls these at the places where the events happen; the server implements them with
 * its metrics library (Micrometer), so the core depends on none. Every method has a no-op
 * default, so an implementation overrides only what it records, and {@link #NONE} records
 * nothing.
 *
 * <p>Implementations must be thread-safe, quick and non-blocking: they are called on request
 * threads, on the delivery executor and on the store's writer thread, inside the paths they
 * measure. They must not throw; a call that throws anyway is a bug in the implementation and
 * the core does not guard against it.
 */
public interface ChatMetrics {

  /** Records nothing; the default everywhere a {@code ChatMetrics} is optional. */
  ChatMetrics NONE = new ChatMetrics() {};

  /** A login succeeded and opened a session. */
  default void loginSucceeded() {}

  /** A login was refused: an unknown user, or a wrong password. */
  default void loginFailed() {}

  /**
   * A message was stored (not a duplicate resend) for {@code recipients} inboxes.
   *
   * @param group whether it went to a group ({@code false}: to one user)
   */
  default void messageStored(boolean group, int recipients) {}

  /**
   * A message was pushed to a live event stream.
   *
   * @param sentAt when the server took the message in (its {@code sentAt}), by the core's clock
   * @param backlog whether it had been stored before the stream opened (waiting for an offline
   *     recipient), so its age says how long the recipient was away, not how slow delivery was
   */
  default void messageDelivered(Instant sentAt, boolean backlog) {}

  /**
   * The store committed one batch of writes (group commit).
   *
   * @param writes how many writes the commit carried
   * @param nanos how long the transaction took, begin to commit, in nanoseconds
   */
  default void storeCommitted(int writes, long nanos) {}

  /** This node published {@code notes} notifications to other nodes (several nodes only). */
  default void notificationsPublished(int notes) {}

  /** This node received {@code notes} notifications from other nodes. */
  default void notificationsReceived(int notes) {}

  /** A notification from another node was malformed and ignored. */
  default void notificationRejected() {}

  /**
   * This node re-read every local stream from the store because news may have been missed (a
   * lost subscription, a dropped publish, a data reset).
   */
  default void nodeResynced() {}
}
