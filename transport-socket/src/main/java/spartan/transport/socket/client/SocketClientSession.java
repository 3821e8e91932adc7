package spartan.transport.socket.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.spi.CallbackLane;
import spartan.transport.socket.wire.GroupLines;
import spartan.transport.socket.wire.WireFormat;
import spartan.transport.socket.wire.WireJson;

/**
 * A session of the socket connector: one TCP connection, logged in. Each method is one request on
 * that connection. Thread-safe. Blocking methods must not be called on the connector's I/O thread
 * (they would wait for a reply only that thread can read); event subscribers and {@link #sendAsync}
 * continuations run on the callback executor, where blocking is fine.
 */
final class SocketClientSession implements Session {
  private final SocketClientHandler conn;
  private final String user;
  private final String token;
  private final Executor callbacks;
  /** Send receipts complete here, in reply order, one hand-off per batch of replies. */
  private final CallbackLane receipts;
  private final Duration timeout;
  private final AtomicReference<SocketClientEventStream> latest = new AtomicReference<>();
  private volatile boolean ended;

  SocketClientSession(
      SocketClientHandler conn, String user, String token, Executor callbacks, Duration timeout) {
    this.conn = conn;
    this.user = user;
    this.token = token;
    this.callbacks = callbacks;
    this.receipts = new CallbackLane(callbacks);
    this.timeout = timeout;
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String token() {
    return token;
  }

  // ---- calls ------------------------------------------------------------------------------

  private JsonNode call(String op, ObjectNode fields) {
    checkLive();
    if (conn.inEventLoop()) {
      throw new IllegalStateException(
          "blocking call on the socket connector's I/O thread; call from another thread");
    }
    return await(conn.call(op, fields, null), timeout);
  }

  private void checkLive() {
    if (ended) {
      throw ChatException.unauthenticated("Session expired or logged out; log in again.");
    }
  }

  /** Waits for a reply, reporting every failure as a ChatException. */
  static JsonNode await(CompletableFuture<JsonNode> reply, Duration timeout) {
    try {
      return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw ChatException.wrap(e.getCause());
    } catch (TimeoutException e) {
      reply.cancel(false);
      throw ChatException.unavailable(
          "No reply from the server within " + timeout.toSeconds() + " s.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ChatException.unavailable("Interrupted while waiting for the server.");
    }
  }

  private static ObjectNode fields() {
    return WireJson.object();
  }

  // ---- Session ----------------------------------------------------------------------------

  @Override
  public CompletableFuture<SendReceipt> sendAsync(
      Recipient to, MessageBody body, String clientMsgId) {
    try {
      checkLive();
      Objects.requireNonNull(to, "to");
      if (body == null) {
        throw ChatException.invalid("message body is required"); // as the core says it
      }
      return conn.send(to, body, clientMsgId)
          .thenApplyAsync(Function.identity(), receipts);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(ChatException.wrap(e));
    }
  }

  @Override
  public List<Delivery> fetchUndelivered(int limit) {
    return WireFormat.deliveriesFrom(call("fetch", fields().put("limit", limit)).path("messages"));
  }

  @Override
  public void ack(long upToSeq) {
    call("ack", fields().put("upTo", upToSeq));
  }

  @Override
  public Flow.Publisher<ChatEvent> events(long afterSeq) {
    return subscriber -> {
      SocketClientEventStream s = new SocketClientEventStream(subscriber, callbacks, conn);
      SocketClientEventStream previous = latest.getAndSet(s);
      if (previous != null) {
        if (conn.stream() == previous) {
          conn.streamTo(null);
        }
        previous.end(null); // a session has one stream: the new one replaces it
      }
      if (ended) {
        s.end(ChatException.unauthenticated("Session expired or logged out; log in again."));
        return;
      }
      conn.call(
              "subscribe",
              fields().put("after", afterSeq),
              ok -> {
                // On the event loop, before the first event of the new stream is read.
                if (latest.get() == s) {
                  conn.streamTo(s);
                  s.open();
                } else {
                  s.end(null);
                }
              })
          .whenComplete(
              (ok, err) -> {
                if (err != null) {
                  s.end(ChatException.wrap(err));
                }
              });
    };
  }

  @Override
  public Page<Account> listAccounts(String pattern, String after, int limit) {
    ObjectNode f = fields().put("limit", limit);
    putIfNotNull(f, "pattern", pattern);
    putIfNotNull(f, "after", after);
    return WireFormat.accountsFrom(call("list_accounts", f));
  }

  @Override
  public List<Message> history(Recipient with, long beforeId, int limit) {
    ObjectNode f = fields().put("before", beforeId).put("limit", limit);
    if (with != null) {
      f.put(with instanceof Recipient.Group ? "group" : "with", with.name());
    }
    return WireFormat.messagesFrom(call("history", f).path("messages"));
  }

  @Override
  public void createGroup(String group, Collection<String> invitees, GroupPolicy policy) {
    if (policy == null) {
      throw ChatException.invalid("policy is required");
    }
    ObjectNode f = fields().put("group", group);
    if (invitees != null) {
      ArrayNode a = f.putArray("members");
      invitees.forEach(a::add);
    }
    f.put("public", policy.open()).put("sharedHistory", policy.sharedHistory());
    call("create_group", f);
  }

  @Override
  public void invite(String group, Collection<String> users) {
    ObjectNode f = fields().put("group", group);
    if (users != null) {
      ArrayNode a = f.putArray("users");
      users.forEach(a::add);
    }
    call("invite", f);
  }

  @Override
  public void joinGroup(String group) {
    call("join_group", fields().put("group", group));
  }

  @Override
  public void declineInvite(String group) {
    call("decline_invite", fields().put("group", group));
  }

  @Override
  public void leaveGroup(String group) {
    call("leave_group", fields().put("group", group));
  }

  @Override
  public void removeMember(String group, String member) {
    call("remove_member", fields().put("group", group).put("user", member));
  }

  @Override
  public void setRole(String group, String member, GroupRole role) {
    ObjectNode f = fields().put("group", group).put("user", member);
    putIfNotNull(f, "role", role == null ? null : role.wireName());
    call("set_role", f);
  }

  @Override
  public void setGroupPolicy(String group, GroupPolicy policy) {
    if (policy == null) {
      throw ChatException.invalid("policy is required");
    }
    call(
        "set_group_policy",
        fields()
            .put("group", group)
            .put("public", policy.open())
            .put("sharedHistory", policy.sharedHistory()));
  }

  @Override
  public Page<GroupInfo> listGroups(String after, int limit) {
    ObjectNode f = fields().put("limit", limit);
    putIfNotNull(f, "after", after);
    return GroupLines.groupsFrom(call("list_groups", f));
  }

  @Override
  public List<GroupInvite> invitations() {
    return GroupLines.invitationsFrom(call("list_groups", fields().put("limit", 1)));
  }

  @Override
  public GroupInfo groupInfo(String group) {
    return GroupLines.infoFrom(call("group_info", fields().put("group", group)));
  }

  @Override
  public void requestChat(String peer) {
    call("chat_request", fields().put("to", peer));
  }

  @Override
  public void respondChat(String requester, boolean accept) {
    call("chat_response", fields().put("to", requester).put("accept", accept));
  }

  @Override
  public void publishKeys(byte[] bundle) {
    call(
        "publish_keys",
        fields().put("keys", java.util.Base64.getEncoder().encodeToString(bundle == null ? new byte[0] : bundle)));
  }

  @Override
  public java.util.Optional<byte[]> fetchKeys(String user) {
    JsonNode r = call("fetch_keys", fields().put("user", user));
    JsonNode keys = r.get("keys");
    return keys == null || !keys.isTextual()
        ? java.util.Optional.empty()
        : java.util.Optional.of(java.util.Base64.getDecoder().decode(keys.textValue()));
  }

  @Override
  public void deleteAccount() {
    conn.expectClose();
    call("delete_account", fields());
    ended = true;
    conn.close();
  }

  @Override
  public void logout() {
    if (ended) {
      return;
    }
    ended = true;
    conn.expectClose();
    try {
      if (conn.isOpen() && !conn.inEventLoop()) {
        await(conn.call("logout", fields(), null), timeout);
      }
    } catch (ChatException e) {
      if (e.code() != ErrorCode.UNAUTHENTICATED && e.code() != ErrorCode.UNAVAILABLE) {
        throw e;
      }
    } finally {
      conn.close();
    }
  }

  private static void putIfNotNull(ObjectNode f, String name, String value) {
    if (value != null) {
      f.put(name, value);
    }
  }

  /** The session's connection, for tests of flow control. */
  SocketClientHandler connection() {
    return conn;
  }

  @Override
  public String toString() {
    return "SocketClientSession[" + user + "]";
  }
}
