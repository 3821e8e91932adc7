package spartan.core;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A logged-in user's handle on the chat: send, list, ack, and a stream of pushed events.
 *
 * <p>Thread-safe. Blocking methods report failures as {@link ChatException}; {@link #sendAsync}
 * completes its future exceptionally with one instead. After {@link #logout()} or {@link
 * #deleteAccount()} every method fails with {@code UNAUTHENTICATED}.
 *
 * <h2>Delivery</h2>
 *
 * Each user has an inbox with a sequence. {@link #events(long)} pushes every inbox entry after the
 * given cursor (or after the last ack, whichever is later), in order, then live ones as they are
 * stored, honouring the subscriber's demand: a subscriber that stops requesting stops the flow and
 * its messages wait in the inbox. Acked entries are never delivered again; unacked ones are
 * delivered again on the next subscription. A session has at most one event stream: subscribing
 * again ends the previous one.
 */
public interface Session extends AutoCloseable {

  /** The logged-in user's normalised name. */
  String user();

  /** The opaque session token, for {@link ChatService#resume}. Keep it secret. */
  String token();

  /**
   * Sends a message. The future completes only after the message is durably stored; resending
   * with the same non-null {@code clientMsgId} (at most 64 characters) to the same recipient
   * stores nothing new and returns the original receipt with {@code duplicate} set; the id is
   * scoped to the conversation, so the same id to another recipient is a new message. The
   * sender's own session does not
   * receive its message back.
   *
   * <p>Fails with {@code NOT_FOUND} (no such user or group), {@code PERMISSION_DENIED} (not a
   * member of the group), {@code INVALID_ARGUMENT} (empty or oversized body, message to oneself),
   * {@code RATE_LIMITED}.
   */
  @RateLimited(RateLimited.Action.SEND)
  CompletableFuture<SendReceipt> sendAsync(Recipient to, MessageBody body, String clientMsgId);

  /** Blocking {@link #sendAsync}. */
  default SendReceipt send(Recipient to, MessageBody body, String clientMsgId) {
    try {
      return sendAsync(to, body, clientMsgId).join();
    } catch (RuntimeException e) {
      throw ChatException.wrap(e);
    }
  }

  /** Sends plain text with no client message id. */
  default SendReceipt send(Recipient to, String text) {
    return send(to, MessageBody.text(text), null);
  }

  /**
   * The user's undelivered (unacked) messages, oldest first, at most {@code limit} (1–1000).
   * Does not ack them.
   */
  List<Delivery> fetchUndelivered(int limit);

  /**
   * Acknowledges every inbox entry up to and including {@code upToSeq}. Acks only move forward;
   * an ack from any of the user's sessions counts for all of them.
   *
   * @throws ChatException {@code INVALID_ARGUMENT} if {@code upToSeq} is negative or beyond the
   *     last sequence assigned in the user's inbox (it would acknowledge messages never seen)
   */
  void ack(long upToSeq);

  /**
   * Subscribes to this session's events, starting after inbox sequence {@code afterSeq} (0 for
   * "after my last ack"). Undelivered messages come first, in order, then pending chat requests
   * and live events. Returns a cold publisher: each subscription restarts from its cursor and
   * replaces any earlier subscription of this session.
   */
  Flow.Publisher<ChatEvent> events(long afterSeq);

  /**
   * Lists accounts whose names match a glob ({@code *} any run, {@code ?} one character;
   * null means all), sorted by name, at most {@code limit} (1–1000) per page, starting after
   * the cursor {@code after} (null for the first page).
   */
  Page<Account> listAccounts(String pattern, String after, int limit);

  /**
   * The conversation with a user (both directions) or a group (members only), newest last: the
   * {@code limit} (1–500) messages before message id {@code beforeId} (0 for the latest).
   */
  @Cached
  List<Message> history(Recipient with, long beforeId, int limit);

  /**
   * Creates a group with the caller and the given members (all must exist).
   *
   * @throws ChatException {@code ALREADY_EXISTS}, {@code NOT_FOUND} for an unknown member, {@code
   *     INVALID_ARGUMENT} for a bad name or a group larger than the server allows
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void createGroup(String group, Collection<String> members);

  /** Joins an existing group ({@code NOT_FOUND} if none). Joining twice is not an error. */
  @RateLimited(RateLimited.Action.CONTROL)
  void joinGroup(String group);

  /** Leaves a group ({@code NOT_FOUND} if none or not a member). An emptied group is deleted. */
  @RateLimited(RateLimited.Action.CONTROL)
  void leaveGroup(String group);

  /** The groups the caller belongs to, sorted by name, paged like {@link #listAccounts}. */
  Page<GroupInfo> listGroups(String after, int limit);

  /**
   * Asks {@code user} to chat. They get a {@link ChatEvent.ChatRequested} now if online, or when
   * they next subscribe, until they answer. {@code NOT_FOUND} if no such user.
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void requestChat(String user);

  /**
   * Answers {@code user}'s chat request; they get a {@link ChatEvent.ChatAnswered}. {@code
   * NOT_FOUND} if {@code user} has no pending request to the caller.
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void respondChat(String user, boolean accept);

  /**
   * Publishes the caller's public keys for end-to-end encryption: an opaque bundle of 1–{@value
   * Limits#MAX_KEY_BUNDLE} bytes that the server stores and hands out but never interprets.
   * Replaces any bundle published before.
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void publishKeys(byte[] bundle);

  /**
   * The public-key bundle {@code user} last published, or empty if none. {@code NOT_FOUND} if no
   * such user. Whether to trust it is the client's decision (trust on first use, fingerprints).
   */
  Optional<byte[]> fetchKeys(String user);

  /** Deletes the caller's account, inbox and undelivered messages, and ends all its sessions. */
  void deleteAccount();

  /** Ends this session; its event stream completes. Idempotent. */
  void logout();

  /** Same as {@link #logout()}. */
  @Override
  default void close() {
    logout();
  }
}
