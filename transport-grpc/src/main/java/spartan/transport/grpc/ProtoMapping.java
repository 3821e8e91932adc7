package spartan.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import spartan.core.Account;
import spartan.core.AuthMode;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInfo;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.proto.v1.ChatProto;

/**
 * Converts between the core's records and the generated protobuf messages. Requests coming in
 * are converted leniently — a missing recipient or body becomes null so the core reports it with
 * its usual message — while replies coming back must be well formed, or the client fails the call
 * with {@code INTERNAL}.
 */
final class ProtoMapping {
  private ProtoMapping() {}

  // ---- values -----------------------------------------------------------------------------------

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static ChatProto.AuthMode authMode(AuthMode mode) {
    return switch (mode) {
      case OPEN -> ChatProto.AuthMode.AUTH_MODE_OPEN;
      case PASSWORD -> ChatProto.AuthMode.AUTH_MODE_PASSWORD;
    };
  }

  static AuthMode authMode(ChatProto.AuthMode mode) {
    return switch (mode) {
      case AUTH_MODE_OPEN -> AuthMode.OPEN;
      case AUTH_MODE_PASSWORD -> AuthMode.PASSWORD;
      default -> throw malformed("unknown auth mode " + mode);
    };
  }

  /** Null for a null recipient, so the server leaves the field unset. */
  static ChatProto.Recipient recipient(Recipient r) {
    if (r instanceof Recipient.User u) {
      return ChatProto.Recipient.newBuilder().setUser(u.name()).build();
    }
    if (r instanceof Recipient.Group g) {
      return ChatProto.Recipient.newBuilder().setGroup(g.name()).build();
    }
    return null;
  }

  /** A request's recipient; null when unset, for the core to reject. Bad names throw. */
  static Recipient recipientOrNull(ChatProto.Recipient r) {
    return switch (r.getKindCase()) {
      case USER -> Recipient.user(r.getUser());
      case GROUP -> Recipient.group(r.getGroup());
      case KIND_NOT_SET -> null;
    };
  }

  static ChatProto.MessageBody body(MessageBody b) {
    if (b instanceof MessageBody.Text t) {
      return ChatProto.MessageBody.newBuilder().setText(t.text()).build();
    }
    if (b instanceof MessageBody.Sealed s) {
      return ChatProto.MessageBody.newBuilder()
          .setSealed(ByteString.copyFrom(s.envelope()))
          .build();
    }
    return null;
  }

  /** A request's body; null when unset, for the core to reject. */
  static MessageBody bodyOrNull(ChatProto.MessageBody b) {
    return switch (b.getKindCase()) {
      case TEXT -> MessageBody.text(b.getText());
      case SEALED -> MessageBody.sealed(b.getSealed().toByteArray());
      case KIND_NOT_SET -> null;
    };
  }

  static ChatProto.Message message(Message m) {
    ChatProto.Message.Builder b =
        ChatProto.Message.newBuilder()
            .setId(m.id())
            .setFrom(m.from())
            .setTo(recipient(m.to()))
            .setBody(body(m.body()))
            .setSentAt(timestamp(m.sentAt()));
    if (m.clientMsgId() != null) {
      b.setClientMsgId(m.clientMsgId());
    }
    return b.build();
  }

  static Message message(ChatProto.Message m) {
    Recipient to = recipientOrNull(m.getTo());
    MessageBody body = bodyOrNull(m.getBody());
    if (to == null || body == null || !m.hasSentAt()) {
      throw malformed("message " + m.getId() + " lacks a recipient, body or time");
    }
    return new Message(
        m.getId(),
        m.getFrom(),
        to,
        body,
        instant(m.getSentAt()),
        m.hasClientMsgId() ? m.getClientMsgId() : null);
  }

  static ChatProto.Delivery delivery(Delivery d) {
    return ChatProto.Delivery.newBuilder().setSeq(d.seq()).setMessage(message(d.message())).build();
  }

  static Delivery delivery(ChatProto.Delivery d) {
    if (d.getSeq() <= 0 || !d.hasMessage()) {
      throw malformed("delivery without a sequence or message");
    }
    return new Delivery(d.getSeq(), message(d.getMessage()));
  }

  static ChatProto.Account account(Account a) {
    return ChatProto.Account.newBuilder().setUser(a.user()).setOnline(a.online()).build();
  }

  static Account account(ChatProto.Account a) {
    return new Account(a.getUser(), a.getOnline());
  }

  static ChatProto.GroupInfo group(GroupInfo g) {
    return GroupWire.info(g);
  }

  static GroupInfo group(ChatProto.GroupInfo g) {
    return GroupWire.info(g);
  }

  static ChatProto.SendReceipt receipt(SendReceipt r) {
    return ChatProto.SendReceipt.newBuilder()
        .setMsgId(r.msgId())
        .setSentAt(timestamp(r.sentAt()))
        .setDuplicate(r.duplicate())
        .build();
  }

  static SendReceipt receipt(ChatProto.SendReceipt r) {
    return new SendReceipt(r.getMsgId(), instant(r.getSentAt()), r.getDuplicate());
  }

  // ---- events -----------------------------------------------------------------------------------

  static final ChatProto.Event STARTED =
      ChatProto.Event.newBuilder().setStarted(ChatProto.StreamStarted.getDefaultInstance()).build();

  static ChatProto.Event event(ChatEvent e) {
    ChatProto.Event.Builder b = ChatProto.Event.newBuilder();
    if (e instanceof ChatEvent.MessageReceived m) {
      b.setMessage(delivery(m.delivery()));
    } else if (e instanceof ChatEvent.ChatRequested r) {
      b.setChatRequested(ChatProto.ChatRequested.newBuilder().setFrom(r.from()));
    } else if (e instanceof ChatEvent.ChatAnswered a) {
      b.setChatAnswered(
          ChatProto.ChatAnswered.newBuilder().setFrom(a.from()).setAccepted(a.accepted()));
    } else if (e instanceof ChatEvent.GroupEvent g) {
      GroupWire.event(g, b);
    } else {
      throw new IllegalArgumentException("unknown event " + e);
    }
    return b.build();
  }

  /**
   * The core event a wire event stands for, or null for a kind this client does not know (a
   * newer server's), which the caller skips.
   */
  static ChatEvent eventOrNull(ChatProto.Event e) {
    return switch (e.getKindCase()) {
      case MESSAGE -> new ChatEvent.MessageReceived(delivery(e.getMessage()));
      case CHAT_REQUESTED -> new ChatEvent.ChatRequested(e.getChatRequested().getFrom());
      case CHAT_ANSWERED ->
          new ChatEvent.ChatAnswered(
              e.getChatAnswered().getFrom(), e.getChatAnswered().getAccepted());
      case GROUP_INVITED,
          MEMBER_JOINED,
          MEMBER_LEFT,
          MEMBER_REMOVED,
          ROLE_CHANGED,
          POLICY_CHANGED ->
          GroupWire.eventOrNull(e);
      case STARTED, KIND_NOT_SET -> null;
    };
  }

  static ChatException malformed(String what) {
    return new ChatException(ErrorCode.INTERNAL, "Malformed reply from the server: " + what + ".");
  }
}
