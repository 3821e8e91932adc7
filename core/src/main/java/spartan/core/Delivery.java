package spartan.core;

import java.util.Objects;

/**
 * A message as it sits in one recipient's inbox: {@code seq} is that inbox's sequence number.
 *
 * <p><b>One message, one instance, on the live path.</b> A store's append makes one {@link
 * Message} and one {@code Delivery} per recipient around that same instance ({@code
 * ChatStore.Appended}), and the core pushes those very {@code Delivery} objects to the recipients'
 * live sessions on this node ({@code DeliveryRouter} to each session's {@code EventStream}, which
 * emits them unchanged). So every member's delivery of one group message, pushed live, carries the
 * same {@code Message}, and a transport may encode a message once for all its members, keyed by
 * the message's identity (both transports do). Deliveries read back from a store instead (an
 * inbox replayed at login, a gap or an overflow filled from the store, a message stored by another
 * node) may carry equal but distinct instances: an identity-keyed cache then encodes again, which
 * costs time, never correctness. A store implementation must keep this: one {@code Message}
 * instance per append.
 *
 * <p>Immutable and thread-safe; {@code seq} is positive and {@code message} not null.
 */
public record Delivery(long seq, Message message) {
  public Delivery {
    if (seq <= 0) {
      throw new IllegalArgumentException("seq must be positive: " + seq);
    }
    Objects.requireNonNull(message, "message");
  }
}
