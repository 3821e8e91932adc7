package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.SendReceipt;

/**
 * How the core's values look on the wire, in both directions, so the server and the connector share
 * one definition. The field names are the public contract in {@code PROTOCOL.md}.
 */
public final class WireFormat {
  private WireFormat() {}

  // ---- to the wire ------------------------------------------------------------------------------

  /** A message; {@code seq} is its inbox sequence, or 0 when it has none (history). */
  public static ObjectNode message(ObjectNode out, Message m, long seq) {
    if (seq > 0) {
      out.put("seq", seq);
    }
    out.put("msgId", m.id());
    out.put("from", m.from());
    out.put(m.to() instanceof Recipient.Group ? "group" : "to", m.to().name());
    if (m.body() instanceof MessageBody.Sealed s) {
      out.put("sealed", s.base64());
    } else {
      out.put("body", ((MessageBody.Text) m.body()).text());
    }
    out.put("ts", m.sentAt().toEpochMilli());
    if (m.clientMsgId() != null) {
      out.put("clientMsgId", m.clientMsgId());
    }
    return out;
  }

  /**
   * About how many bytes {@code m} takes as a line (a little more, never much less): what a reply
   * carrying many messages is cut by.
   */
  public static long wireBytes(Message m) {
    long bytes = 160 + jsonBytes(m.from()) + jsonBytes(m.to().name());
    if (m.clientMsgId() != null) {
      bytes += jsonBytes(m.clientMsgId());
    }
    if (m.body() instanceof MessageBody.Sealed s) {
      bytes += 4L * ((s.length() + 2) / 3);
    } else {
      bytes += jsonBytes(((MessageBody.Text) m.body()).text());
    }
    return bytes;
  }

  /** The bytes of {@code s} as a JSON string's content in UTF-8, escapes included. */
  private static long jsonBytes(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20) {
        n += 6; // escaped as six characters
      } else if (c == '"' || c == '\\') {
        n += 2;
      } else if (c < 0x80) {
        n += 1;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        n += 2; // a surrogate pair is four bytes, two per char
      } else {
        n += 3;
      }
    }
    return n;
  }

  public static ArrayNode deliveries(ArrayNode out, List<Delivery> ds) {
    for (Delivery d : ds) {
      message(out.addObject(), d.message(), d.seq());
    }
    return out;
  }

  public static ArrayNode messages(ArrayNode out, List<Message> ms) {
    for (Message m : ms) {
      message(out.addObject(), m, 0);
    }
    return out;
  }

  /** The result fields of a send's reply. */
  public static ObjectNode receipt(SendReceipt r) {
    return WireJson.object()
        .put("msgId", r.msgId())
        .put("ts", r.sentAt().toEpochMilli())
        .put("duplicate", r.duplicate());
  }

  /** The receipt in a send's ok reply. */
  public static SendReceipt receiptFrom(JsonNode reply) {
    return new SendReceipt(
        reply.path("msgId").asLong(),
        Instant.ofEpochMilli(reply.path("ts").asLong()),
        reply.path("duplicate").asBoolean(false));
  }

  /** A pushed event line: {@code {"event": name, ...}} with no {@code id}. */
  public static ObjectNode event(ChatEvent e) {
    ObjectNode out = WireJson.object();
    if (e instanceof ChatEvent.MessageReceived m) {
      out.put("event", "message");
      message(out, m.message(), m.seq());
    } else if (e instanceof ChatEvent.ChatRequested r) {
      out.put("event", "chat_request");
      out.put("from", r.from());
    } else if (e instanceof ChatEvent.ChatAnswered a) {
      out.put("event", "chat_response");
      out.put("from", a.from());
      out.put("accept", a.accepted());
    } else {
      GroupLines.event(e, out);
    }
    return out;
  }

  public static ObjectNode accounts(ObjectNode out, Page<Account> page) {
    ArrayNode items = out.putArray("accounts");
    for (Account a : page.items()) {
      items.addObject().put("user", a.user()).put("online", a.online());
    }
    if (page.next() != null) {
      out.put("next", page.next());
    }
    return out;
  }

  /** {@code out} with the {@code "error"} object of an error reply for {@code e}. */
  public static ObjectNode error(ObjectNode out, ChatException e) {
    Outbound.ErrorReply r = Outbound.ErrorReply.of(null, e);
    errorFields(out.putObject("error"), r.code(), r.message(), r.retryAfterMs());
    return out;
  }

  /**
   * The fields that say what went wrong, the one place they are written: {@code code}, {@code
   * message} and, when positive, {@code retryAfterMs}. An error reply holds them in its {@code
   * "error"} object, a {@code stream_end} event at its top level; {@link #errorOf} reads both.
   */
  public static ObjectNode errorFields(ObjectNode into, String code, String message, long retryAfterMs) {
    into.put("code", code);
    into.put("message", message);
    if (retryAfterMs > 0) {
      into.put("retryAfterMs", retryAfterMs);
    }
    return into;
  }

  // ---- from the wire (the connector reading a trusted server; a bad reply is INTERNAL) ---------

  /** The error in an error reply. */
  public static ChatException errorFrom(JsonNode reply) {
    return errorOf(reply.path("error"), "error from server");
  }

  /**
   * The error whose fields ({@link #errorFields}) {@code n} holds; {@code noMessage} stands in for
   * a missing message.
   */
  public static ChatException errorOf(JsonNode n, String noMessage) {
    ErrorCode code = WireCodes.fromWire(n.path("code").asText(null));
    String message = n.path("message").asText(noMessage);
    if (code == ErrorCode.RATE_LIMITED) {
      long ms = n.path("retryAfterMs").asLong(0);
      return ChatException.rateLimited(message, Duration.ofMillis(Math.max(0, ms)));
    }
    return new ChatException(code, message);
  }

  public static Message messageFrom(JsonNode n) {
    Recipient to =
        n.hasNonNull("group") ? Recipient.group(text(n, "group")) : Recipient.user(text(n, "to"));
    MessageBody body =
        n.hasNonNull("sealed")
            ? MessageBody.sealed(Base64.getDecoder().decode(text(n, "sealed")))
            : MessageBody.text(text(n, "body"));
    return new Message(
        n.path("msgId").asLong(),
        text(n, "from"),
        to,
        body,
        Instant.ofEpochMilli(n.path("ts").asLong()),
        n.hasNonNull("clientMsgId") ? n.get("clientMsgId").asText() : null);
  }

  public static Delivery deliveryFrom(JsonNode n) {
    return new Delivery(n.path("seq").asLong(), messageFrom(n));
  }

  public static List<Delivery> deliveriesFrom(JsonNode array) {
    List<Delivery> out = new ArrayList<>(array.size());
    array.forEach(n -> out.add(deliveryFrom(n)));
    return out;
  }

  public static List<Message> messagesFrom(JsonNode array) {
    List<Message> out = new ArrayList<>(array.size());
    array.forEach(n -> out.add(messageFrom(n)));
    return out;
  }

  /** The event on a line, or null for an event this connector does not know (newer server). */
  public static ChatEvent eventFrom(JsonNode n) {
    return switch (n.path("event").asText("")) {
      case "message" -> new ChatEvent.MessageReceived(deliveryFrom(n));
      case "chat_request" -> new ChatEvent.ChatRequested(text(n, "from"));
      case "chat_response" ->
          new ChatEvent.ChatAnswered(text(n, "from"), n.path("accept").asBoolean());
      default -> GroupLines.eventFrom(n.path("event").asText(""), n);
    };
  }

  public static Page<Account> accountsFrom(JsonNode reply) {
    List<Account> items = new ArrayList<>();
    reply
        .path("accounts")
        .forEach(a -> items.add(new Account(text(a, "user"), a.path("online").asBoolean())));
    return new Page<>(items, reply.hasNonNull("next") ? reply.get("next").asText() : null);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new ChatException(
          ErrorCode.INTERNAL, "malformed reply from server: no '" + field + "'");
    }
    return v.textValue();
  }
}
