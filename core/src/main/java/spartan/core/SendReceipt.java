package spartan.core;

import java.time.Instant;
import java.util.Objects;

/**
 * The acknowledgement of a send, given only after the message is durably stored. {@code
 * duplicate} is true when the client message id had been seen before and nothing new was stored.
 */
public record SendReceipt(long msgId, Instant sentAt, boolean duplicate) {
  public SendReceipt {
    Objects.requireNonNull(sentAt, "sentAt");
  }
}
