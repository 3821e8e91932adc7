package spartan.core;

import java.util.Objects;

/** A message as it sits in one recipient's inbox: {@code seq} is that inbox's sequence number. */
public record Delivery(long seq, Message message) {
  public Delivery {
    if (seq <= 0) {
      throw new IllegalArgumentException("seq must be positive: " + seq);
    }
    Objects.requireNonNull(message, "message");
  }
}
