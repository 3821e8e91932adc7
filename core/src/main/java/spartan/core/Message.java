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

  /**
   * Roughly how many bytes of heap this message holds — the body (two bytes a character for
   * text) plus a fixed allowance for the record, names, ids and timestamp — so that memory held
   * for messages (queues, caches) can be bounded in bytes, not only in messages.
   */
  public int approximateBytes() {
    int content =
        body instanceof MessageBody.Sealed s
            ? s.length()
            : 2 * ((MessageBody.Text) body).text().length();
    int ids = clientMsgId == null ? 0 : 2 * clientMsgId.length();
    return OVERHEAD_BYTES + content + ids + 2 * (from.length() + to.name().length());
  }

  /** Object headers, the record's fields, the timestamp and recipient objects. */
  private static final int OVERHEAD_BYTES = 160;

  /** Convenience for text bodies; null for sealed ones. */
  public String text() {
    return body instanceof MessageBody.Text t ? t.text() : null;
  }
}
