package spartan.transport.socket.wire;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The operations a client may request, by wire name; whether each needs a logged-in connection. */
public enum Op {
  PING(false),
  /** The answer to the server's {@code ping} event; it has no reply. */
  PONG(false),
  INFO(false),
  CREATE_ACCOUNT(false),
  LOGIN(false),
  RESUME(false),
  LOGOUT(true),
  DELETE_ACCOUNT(true),
  LIST_ACCOUNTS(true),
  SEND(true),
  FETCH(true),
  ACK(true),
  HISTORY(true),
  CREATE_GROUP(true),
  JOIN_GROUP(true),
  LEAVE_GROUP(true),
  LIST_GROUPS(true),
  INVITE(true),
  DECLINE_INVITE(true),
  REMOVE_MEMBER(true),
  SET_ROLE(true),
  SET_GROUP_POLICY(true),
  GROUP_INFO(true),
  CHAT_REQUEST(true),
  CHAT_RESPONSE(true),
  PUBLISH_KEYS(true),
  FETCH_KEYS(true),
  SUBSCRIBE(true);

  private static final Map<String, Op> BY_WIRE = new HashMap<>();

  static {
    for (Op op : values()) {
      BY_WIRE.put(op.wire, op);
    }
  }

  public final String wire;
  public final boolean needsSession;

  Op(boolean needsSession) {
    this.wire = name().toLowerCase(Locale.ROOT);
    this.needsSession = needsSession;
  }

  /** The op with this exact (lower-case) wire name, or null. */
  public static Op byWire(String name) {
    return BY_WIRE.get(name);
  }
}
