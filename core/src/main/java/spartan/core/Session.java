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
   * Creates an invite-only group owned by the caller and invites {@code invitees} (who become
   * members only when they accept). Same as {@link #createGroup(String, Collection, GroupPolicy)}
   * with {@link GroupPolicy#PRIVATE}.
   */
  default void createGroup(String group, Collection<String> invitees) {
    createGroup(group, invitees, GroupPolicy.PRIVATE);
  }

  /**
   * Creates a group whose only member and owner is the caller, and invites {@code invitees} (all
   * must exist, at most {@code maxGroupMembers - 1}).
   *
   * @throws ChatException {@code ALREADY_EXISTS}, {@code NOT_FOUND} for an unknown invitee,
   *     {@code INVALID_ARGUMENT} for a bad name or too many invitees
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void createGroup(String group, Collection<String> invitees, GroupPolicy policy);

  /**
   * Invites users to a group (owners and admins only). Each invitee gets a {@link
   * ChatEvent.GroupInvited} now if online and at every subscription until they answer. Inviting a
   * member or someone already invited changes nothing for them.
   *
   * @throws ChatException {@code NOT_FOUND} (no such group, or an unknown user: nobody is then
   *     invited), {@code PERMISSION_DENIED} (not an owner or admin), {@code INVALID_ARGUMENT} (no
   *     users, more than {@link Limits#MAX_INVITES_PER_CALL}, the group's members and pending
   *     invitations would exceed {@code maxGroupMembers}, an invitee already has {@link
   *     Limits#MAX_PENDING_INVITES} pending invitations or {@link
   *     Limits#MAX_PENDING_INVITES_PER_INVITER} from the caller, or the caller has twice {@code
   *     maxGroupMembers} invitations waiting for an answer)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void invite(String group, Collection<String> users);

  /**
   * Joins a group: accepts the caller's pending invitation, or joins a public group. The caller
   * then sees the group's messages from now on (earlier ones too if the group shares its
   * history) and every member gets a {@link ChatEvent.MemberJoined}. Joining a group one belongs
   * to already is not an error.
   *
   * @throws ChatException {@code NOT_FOUND} (no such group), {@code PERMISSION_DENIED} (an
   *     invite-only group and no invitation), {@code INVALID_ARGUMENT} (the group is full)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void joinGroup(String group);

  /** Declines the caller's pending invitation to {@code group}; {@code NOT_FOUND} if none. */
  @RateLimited(RateLimited.Action.CONTROL)
  void declineInvite(String group);

  /**
   * Leaves a group; the others get a {@link ChatEvent.MemberLeft}. An emptied group is deleted.
   *
   * @throws ChatException {@code NOT_FOUND} (no such group or not a member), {@code
   *     PERMISSION_DENIED} (the caller is the last owner and others remain: make someone else
   *     owner first)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void leaveGroup(String group);

  /**
   * Removes a member (owners remove anyone, admins only members); every member, the removed one
   * included, gets a {@link ChatEvent.MemberRemoved}. The removed user receives nothing further
   * from the group and can no longer read it. Removing oneself is {@link #leaveGroup}. Removing
   * a user who is invited but not yet a member withdraws the invitation (no event).
   *
   * @throws ChatException {@code NOT_FOUND} (no such group, or the user is neither a member nor
   *     invited), {@code PERMISSION_DENIED} (the caller may not remove that user), {@code
   *     INVALID_ARGUMENT} (removing oneself)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void removeMember(String group, String user);

  /**
   * Changes a member's role; every member gets a {@link ChatEvent.RoleChanged}. Admins may make a
   * member an admin; only owners may demote an admin, make or demote an owner. An owner may step
   * down only while another owner remains.
   *
   * @throws ChatException {@code NOT_FOUND} (no such group, or the user is not a member), {@code
   *     PERMISSION_DENIED} (not allowed, or it would leave the group without an owner)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void setRole(String group, String user, GroupRole role);

  /**
   * Sets who may join and whether newcomers read earlier history (owners and admins only).
   * Members who joined before keep what they could read; shared history reaches back only to the
   * moment it was turned on. Every member gets a {@link ChatEvent.PolicyChanged} unless the policy
   * was already this one.
   *
   * @throws ChatException {@code NOT_FOUND}, {@code PERMISSION_DENIED}, {@code RATE_LIMITED}
   *     (the fan-out budget for telling the members is spent)
   */
  @RateLimited(RateLimited.Action.CONTROL)
  void setGroupPolicy(String group, GroupPolicy policy);

  /**
   * The groups the caller belongs to, with the caller's role and each group's roster, sorted by
   * name, paged like {@link #listAccounts}. A page may hold fewer than {@code limit} groups (and a
   * cursor) when their rosters are large: it stops once it lists about ten times {@code
   * maxGroupMembers} members.
   */
  Page<GroupInfo> listGroups(String after, int limit);

  /** The caller's pending invitations, oldest first (at most {@link Limits#MAX_PENDING_INVITES}). */
  List<GroupInvite> invitations();

  /**
   * One group's roster and policy, for its members only.
   *
   * @throws ChatException {@code NOT_FOUND} (no such group), {@code PERMISSION_DENIED} (not a
   *     member)
   */
  GroupInfo groupInfo(String group);

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

  /**
   * Deletes the caller's account, inbox and undelivered messages, and ends all its sessions. In
   * each group where it was the last owner, ownership passes to the longest-standing admin, else
   * to the longest-standing member; a group left empty is deleted.
   */
  void deleteAccount();

  /** Ends this session; its event stream completes. Idempotent. */
  void logout();

  /** Same as {@link #logout()}. */
  @Override
  default void close() {
    logout();
  }
}
