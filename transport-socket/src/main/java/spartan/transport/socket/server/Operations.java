package spartan.transport.socket.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.transport.socket.wire.Fields;
import spartan.transport.socket.wire.Inbound;
import spartan.transport.socket.wire.Op;
import spartan.transport.socket.wire.WireFormat;
import spartan.transport.socket.wire.WireJson;

/**
 * The blocking half of the server: runs one request against the core and says what the connection
 * should do next. Called only on the blocking executor, one request of a connection at a time; the
 * connection applies the {@link Outcome} on its event loop. One instance per connection: logins
 * and sign-ups go through the service as seen from the connection's address ({@link
 * ChatService#forClient}), asked for once, on the blocking executor like every core call.
 */
final class Operations {
  /** The socket protocol's version, reported by {@code info}. */
  static final int PROTOCOL_VERSION = 1;

  static final int DEFAULT_PAGE = 100;
  static final int DEFAULT_HISTORY = 50;

  /**
   * The most message bytes one {@code fetch} or {@code history} reply carries (it always carries at
   * least one message): 500 envelopes of 40 KiB would make one reply of 27 MB, built in memory and
   * held until the client reads it. Past this the reply is cut and says {@code "truncated": true}.
   */
  static final int MAX_REPLY_BYTES = 1 << 20;

  /** What to do with the connection after a request ran. */
  sealed interface Outcome {}

  /** Reply ok with {@code result}; then close the connection if {@code thenClose}. */
  record Answered(ObjectNode result, boolean thenClose) implements Outcome {}

  /** Reply with an error. */
  record Failed(ChatException error) implements Outcome {}

  /** The connection is now logged in as {@code session}; start {@code pump} (may be null). */
  record Attached(Session session, ObjectNode result, SocketServerEventPump pump)
      implements Outcome {}

  /** The connection's event stream is now {@code pump}. */
  record Subscribed(SocketServerEventPump pump) implements Outcome {}

  /** The reply follows when {@code result} completes (a send, stored asynchronously). */
  record Pending(CompletableFuture<SendReceipt> result) implements Outcome {}

  private final ChatService base;
  private final InetAddress peer;
  private final int maxLineBytes;

  /**
   * {@code base} as seen from {@code peer}, made by the first request that needs it. Requests of a
   * connection run one at a time, each handed over through its event loop, which already orders
   * them; volatile, so that this field's safety does not rest on it.
   */
  private volatile ChatService service;

  Operations(ChatService base, InetAddress peer, int maxLineBytes) {
    this.base = base;
    this.peer = peer;
    this.maxLineBytes = maxLineBytes;
  }

  private ChatService service() {
    ChatService s = service;
    if (s == null) {
      s = base.forClient(peer);
      service = s;
    }
    return s;
  }

  /**
   * Runs {@code r}. {@code session} is the connection's session (null before login), {@code
   * current} its live event pump (may be null), {@code newPump} makes a pump for a new stream.
   */
  Outcome run(Inbound.Request r, Session session, SocketServerEventPump current, Supplier<SocketServerEventPump> newPump) {
    try {
      if (r.send() != null) {
        return send(session, r.send());
      }
      return dispatch(r, new Fields(r.body()), session, current, newPump);
    } catch (ChatException e) {
      return new Failed(e);
    }
  }

  private static Outcome send(Session session, Inbound.Send s) {
    return new Pending(session.sendAsync(s.to(), s.body(), s.clientMsgId()));
  }

  private Outcome dispatch(
      Inbound.Request r, Fields f, Session session, SocketServerEventPump current, Supplier<SocketServerEventPump> newPump) {
    ObjectNode out = WireJson.object();
    switch (r.op()) {
      case PING -> {
        return new Answered(out, false);
      }
      case INFO -> {
        out.put("authMode", service().authMode().name().toLowerCase(Locale.ROOT));
        out.put("version", PROTOCOL_VERSION);
        out.put("maxLineBytes", maxLineBytes);
        return new Answered(out, false);
      }
      case CREATE_ACCOUNT -> {
        service().createAccount(f.string("user"), f.optString("password"));
        return new Answered(out, false);
      }
      case LOGIN, RESUME -> {
        if (session != null) {
          throw ChatException.invalid(
              "This connection is already logged in as " + session.user() + "; open another.");
        }
        boolean subscribe = f.optBoolean("subscribe", true);
        long after = cursor(f);
        Session s =
            r.op() == Op.LOGIN
                ? service().login(f.string("user"), f.optString("password"))
                : service().resume(f.string("token"));
        SocketServerEventPump pump = null;
        if (subscribe) {
          pump = newPump.get();
          s.events(after).subscribe(pump);
        }
        out.put("user", s.user());
        out.put("token", s.token());
        return new Attached(s, out, pump);
      }
      case SUBSCRIBE -> {
        long after = cursor(f);
        if (current != null) {
          current.retire();
        }
        SocketServerEventPump pump = newPump.get();
        session.events(after).subscribe(pump);
        return new Subscribed(pump);
      }
      case LOGOUT -> {
        if (current != null) {
          current.retire();
        }
        session.logout();
        return new Answered(out, true);
      }
      case DELETE_ACCOUNT -> {
        if (current != null) {
          current.retire();
        }
        session.deleteAccount();
        return new Answered(out, true);
      }
      case LIST_ACCOUNTS -> {
        return new Answered(
            WireFormat.accounts(
                out,
                session.listAccounts(
                    f.optString("pattern"), f.optString("after"), f.optInt("limit", DEFAULT_PAGE))),
            false);
      }
      case SEND -> {
        return send(session, Inbound.Send.from(f));
      }
      case FETCH -> {
        List<Delivery> all = session.fetchUndelivered(f.optInt("limit", DEFAULT_PAGE));
        // The oldest first: the client acks them and fetches the rest.
        int n = fitting(all.size(), i -> WireFormat.wireBytes(all.get(i).message()), false);
        WireFormat.deliveries(out.putArray("messages"), all.subList(0, n));
        return new Answered(truncated(out, n < all.size()), false);
      }
      case ACK -> {
        session.ack(f.longValue("upTo"));
        return new Answered(out, false);
      }
      case HISTORY -> {
        List<Message> all =
            session.history(
                f.recipient("with"), f.optLong("before", 0), f.optInt("limit", DEFAULT_HISTORY));
        // The newest: the client pages back with before = the first one's msgId, leaving no gap.
        int n = fitting(all.size(), i -> WireFormat.wireBytes(all.get(i)), true);
        WireFormat.messages(out.putArray("messages"), all.subList(all.size() - n, all.size()));
        return new Answered(truncated(out, n < all.size()), false);
      }
      case CREATE_GROUP,
          INVITE,
          JOIN_GROUP,
          DECLINE_INVITE,
          LEAVE_GROUP,
          REMOVE_MEMBER,
          SET_ROLE,
          SET_GROUP_POLICY,
          LIST_GROUPS,
          GROUP_INFO -> {
        return new Answered(GroupOps.run(r.op(), f, session, out), false);
      }
      case CHAT_REQUEST -> {
        session.requestChat(f.string("to"));
        return new Answered(out, false);
      }
      case CHAT_RESPONSE -> {
        session.respondChat(f.string("to"), f.bool("accept"));
        return new Answered(out, false);
      }
      case PUBLISH_KEYS -> {
        session.publishKeys(f.base64("keys"));
        return new Answered(out, false);
      }
      case FETCH_KEYS -> {
        String user = f.string("user");
        out.put("user", user);
        session.fetchKeys(user).ifPresent(k -> out.put("keys", Base64.getEncoder().encodeToString(k)));
        return new Answered(out, false);
      }
    }
    throw new IllegalStateException("unhandled op " + r.op());
  }

  /** The {@code after} cursor of login, resume and subscribe: a sequence, so not negative. */
  private static long cursor(Fields f) {
    long after = f.optLong("after", 0);
    if (after < 0) {
      throw ChatException.invalid("field 'after' must not be negative");
    }
    return after;
  }

  /**
   * How many of {@code count} items fit in {@link #MAX_REPLY_BYTES} (at least one, if any), taken
   * from the end when {@code fromEnd}, else from the start; {@code bytes} gives an item's size.
   */
  private static int fitting(int count, IntToLongFunction bytes, boolean fromEnd) {
    long total = 0;
    for (int n = 0; n < count; n++) {
      total += bytes.applyAsLong(fromEnd ? count - 1 - n : n);
      if (total > MAX_REPLY_BYTES && n > 0) {
        return n;
      }
    }
    return count;
  }

  private static ObjectNode truncated(ObjectNode out, boolean truncated) {
    return truncated ? out.put("truncated", true) : out;
  }
}
