package spartan.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored message. {@code id} is assigned by the server, unique and increasing in store order;
 * {@code clientMsgId} is the sender's optional de-duplication key (null when not given).
 */
public record Message(
    long id, String from, Recipient to, MessageBody body, Instant sentAt, String clientMsgId) {
  public Message {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(sentAt, "sentAt");
  }

  /** Convenience for text bodies; null for sealed ones. */
  public String text() {
    return body instanceof MessageBody.Text t ? t.text() : null;
  }
}
