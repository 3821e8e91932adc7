package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.SendReceipt;

/**
 * What the server writes, one line each, turned into bytes by the {@link ReplyEncoder}: a reply
 * that echoes a request's {@code id}, or a pushed event with no {@code id}. The connection handler
 * says what to write; only the encoder knows how it looks.
 */
public sealed interface Outbound {
  /** An ok reply: {@code {"id":…,"ok":true,…}}. */
  sealed interface Reply extends Outbound {
    JsonNode id();
  }

  /** An ok reply carrying {@code result}'s fields after {@code id} and {@code ok}. */
  record Ok(JsonNode id, ObjectNode result) implements Reply {}

  /** The ok reply to a send; the encoder writes it without a tree when the id allows. */
  record Sent(JsonNode id, SendReceipt receipt) implements Reply {}

  /**
   * {@code {"id":…,"ok":false,"error":{"code":…,"message":…[,"retryAfterMs":…]}}}; {@code
   * retryAfterMs} is 0 when there is none (a real delay is rounded up, never 0).
   */
  record ErrorReply(JsonNode id, String code, String message, long retryAfterMs)
      implements Outbound {
    /** An error with a transport-level code, or a core code already in its wire form. */
    public ErrorReply(JsonNode id, String code, String message) {
      this(id, code, message, 0);
    }

    /** The reply for a core error: its code, its message and, when rate limited, the wait. */
    public static ErrorReply of(JsonNode id, ChatException e) {
      long retry =
          e.code() == ErrorCode.RATE_LIMITED && e.retryAfter() != null ? e.retryAfterMillis() : 0;
      return new ErrorReply(
          id, WireCodes.toWire(e.code()), e.getMessage() == null ? "" : e.getMessage(), retry);
    }
  }

  /** A line with {@code "event"} and no {@code id}. */
  sealed interface Event extends Outbound {}

  /** A core event of the connection's stream. */
  record Pushed(ChatEvent event) implements Event {}

  /**
   * {@code {"event":"stream_end"[,"code":…,"message":…]}}: the stream ended, normally when {@code
   * code} is null.
   */
  record StreamEnd(String code, String message) implements Event {
    public static final StreamEnd NORMAL = new StreamEnd(null, null);

    public static StreamEnd of(ChatException e) {
      return new StreamEnd(WireCodes.toWire(e.code()), e.getMessage());
    }
  }

  /** The server's keep-alive, {@code {"event":"ping"}}; any line from the client answers it. */
  record Ping() implements Event {}

  Ping PING = new Ping();
}
