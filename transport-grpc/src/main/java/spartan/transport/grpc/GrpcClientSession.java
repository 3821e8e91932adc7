package spartan.transport.grpc;

import io.grpc.CallCredentials;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
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
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * A server-side session seen through the connector: every call carries the token as call
 * credentials, and the server checks it each time.
 *
 * <p>Sends go over one {@code SendStream} call per session ({@link PipelinedSends}), many in
 * flight at once: the core stores sends in the order they were made, and the server keeps a
 * stream's order, where concurrent unary calls would run on concurrent threads and lose it.
 */
final class GrpcClientSession implements Session {
  private final GrpcClient client;
  private final String user;
  private final String token;
  private final CallCredentials credentials;
  private final PipelinedSends sends;
  private volatile boolean loggedOut;

  GrpcClientSession(GrpcClient client, String user, String token) {
    this.client = client;
    this.user = user;
    this.token = token;
    this.credentials = BearerAuth.credentials(token);
    this.sends =
        new PipelinedSends(
            () -> client.async().withCallCredentials(credentials),
            GrpcClient.CALL_TIMEOUT,
            client.lane());
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String token() {
    return token;
  }

  private SpartanGrpc.SpartanBlockingStub blocking() {
    return client.blocking().withCallCredentials(credentials);
  }

  String whoami() {
    return GrpcClient.call(
            () -> blocking().whoami(ChatProto.WhoamiRequest.getDefaultInstance()))
        .getUser();
  }

  // ---- sending ----------------------------------------------------------------------------------

  @Override
  public CompletableFuture<SendReceipt> sendAsync(
      Recipient to, MessageBody body, String clientMsgId) {
    ChatProto.SendMessageRequest.Builder b = ChatProto.SendMessageRequest.newBuilder();
    ChatProto.Recipient r = ProtoMapping.recipient(to);
    if (r != null) {
      b.setTo(r);
    }
    ChatProto.MessageBody mb = ProtoMapping.body(body);
    if (mb != null) {
      b.setBody(mb);
    }
    if (clientMsgId != null) {
      b.setClientMsgId(clientMsgId);
    }
    return sends.send(b.build());
  }

  // ---- inbox ------------------------------------------------------------------------------------

  @Override
  public List<Delivery> fetchUndelivered(int limit) {
    return GrpcClient.call(
        () -> {
          List<Delivery> out = new ArrayList<>();
          blocking()
              .fetchUndelivered(ChatProto.FetchUndeliveredRequest.newBuilder().setLimit(limit).build())
              .forEachRemaining(d -> out.add(ProtoMapping.delivery(d)));
          return out;
        });
  }

  @Override
  public void ack(long upToSeq) {
    GrpcClient.call(
        () -> blocking().ack(ChatProto.AckRequest.newBuilder().setUpToSeq(upToSeq).build()));
  }

  @Override
  public Flow.Publisher<ChatEvent> events(long afterSeq) {
    ChatProto.ReceiveMsgRequest request =
        ChatProto.ReceiveMsgRequest.newBuilder().setAfterSeq(afterSeq).build();
    return subscriber -> {
      if (subscriber == null) {
        throw new NullPointerException("subscriber");
      }
      client
          .async()
          .withCallCredentials(credentials)
          .receiveMsg(request, new GrpcClientEventStream(subscriber, client.lane()));
    };
  }

  // ---- listings ---------------------------------------------------------------------------------

  @Override
  public Page<Account> listAccounts(String pattern, String after, int limit) {
    ChatProto.ListAccountsRequest request =
        ChatProto.ListAccountsRequest.newBuilder()
            .setPattern(pattern == null ? "" : pattern)
            .setAfter(after == null ? "" : after)
            .setLimit(limit)
            .build();
    return GrpcClient.call(
        () -> {
          List<Account> items = new ArrayList<>();
          String next = null;
          Iterator<ChatProto.AccountEntry> it = blocking().listAccounts(request);
          while (it.hasNext()) {
            ChatProto.AccountEntry e = it.next();
            if (e.hasAccount()) {
              items.add(ProtoMapping.account(e.getAccount()));
            }
            next = e.hasNext() ? e.getNext() : null;
          }
          return new Page<>(items, next);
        });
  }

  @Override
  public List<Message> history(Recipient with, long beforeId, int limit) {
    ChatProto.HistoryRequest.Builder b =
        ChatProto.HistoryRequest.newBuilder().setBeforeId(beforeId).setLimit(limit);
    ChatProto.Recipient r = ProtoMapping.recipient(with);
    if (r != null) {
      b.setWith(r);
    }
    return GrpcClient.call(
        () -> {
          List<Message> out = new ArrayList<>();
          blocking().history(b.build()).forEachRemaining(m -> out.add(ProtoMapping.message(m)));
          return out;
        });
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Override
  public void createGroup(String group, Collection<String> invitees, GroupPolicy policy) {
    if (invitees == null || policy == null) {
      throw ChatException.invalid("invitees and policy are required");
    }
    ChatProto.CreateGroupRequest request =
        ChatProto.CreateGroupRequest.newBuilder()
            .setGroup(nonNull(group))
            .addAllInvitees(invitees)
            .setOpen(policy.open())
            .setSharedHistory(policy.sharedHistory())
            .build();
    GrpcClient.call(() -> blocking().createGroup(request));
  }

  @Override
  public void invite(String group, Collection<String> users) {
    if (users == null) {
      throw ChatException.invalid("users are required");
    }
    ChatProto.InviteRequest request =
        ChatProto.InviteRequest.newBuilder().setGroup(nonNull(group)).addAllUsers(users).build();
    GrpcClient.call(() -> blocking().invite(request));
  }

  @Override
  public void declineInvite(String group) {
    ChatProto.DeclineInviteRequest request =
        ChatProto.DeclineInviteRequest.newBuilder().setGroup(nonNull(group)).build();
    GrpcClient.call(() -> blocking().declineInvite(request));
  }

  @Override
  public void removeMember(String group, String member) {
    ChatProto.RemoveMemberRequest request =
        ChatProto.RemoveMemberRequest.newBuilder()
            .setGroup(nonNull(group))
            .setUser(nonNull(member))
            .build();
    GrpcClient.call(() -> blocking().removeMember(request));
  }

  @Override
  public void setRole(String group, String member, GroupRole role) {
    if (role == null) {
      throw ChatException.invalid("role is required");
    }
    ChatProto.SetRoleRequest request =
        ChatProto.SetRoleRequest.newBuilder()
            .setGroup(nonNull(group))
            .setUser(nonNull(member))
            .setRole(GroupWire.role(role))
            .build();
    GrpcClient.call(() -> blocking().setRole(request));
  }

  @Override
  public void setGroupPolicy(String group, GroupPolicy policy) {
    if (policy == null) {
      throw ChatException.invalid("policy is required");
    }
    ChatProto.SetGroupPolicyRequest request =
        ChatProto.SetGroupPolicyRequest.newBuilder()
            .setGroup(nonNull(group))
            .setOpen(policy.open())
            .setSharedHistory(policy.sharedHistory())
            .build();
    GrpcClient.call(() -> blocking().setGroupPolicy(request));
  }

  @Override
  public List<GroupInvite> invitations() {
    return GrpcClient.call(
        () ->
            blocking()
                .listInvitations(ChatProto.ListInvitationsRequest.getDefaultInstance())
                .getInvitationsList()
                .stream()
                .map(GroupWire::invite)
                .toList());
  }

  @Override
  public GroupInfo groupInfo(String group) {
    ChatProto.GetGroupInfoRequest request =
        ChatProto.GetGroupInfoRequest.newBuilder().setGroup(nonNull(group)).build();
    return GrpcClient.call(() -> GroupWire.info(blocking().getGroupInfo(request)));
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  @Override
  public void joinGroup(String group) {
    GrpcClient.call(
        () ->
            blocking()
                .joinGroup(
                    ChatProto.JoinGroupRequest.newBuilder()
                        .setGroup(group == null ? "" : group)
                        .build()));
  }

  @Override
  public void leaveGroup(String group) {
    GrpcClient.call(
        () ->
            blocking()
                .leaveGroup(
                    ChatProto.LeaveGroupRequest.newBuilder()
                        .setGroup(group == null ? "" : group)
                        .build()));
  }

  @Override
  public Page<GroupInfo> listGroups(String after, int limit) {
    ChatProto.ListGroupsRequest request =
        ChatProto.ListGroupsRequest.newBuilder()
            .setAfter(after == null ? "" : after)
            .setLimit(limit)
            .build();
    return GrpcClient.call(
        () -> {
          List<GroupInfo> items = new ArrayList<>();
          String next = null;
          Iterator<ChatProto.GroupEntry> it = blocking().listGroups(request);
          while (it.hasNext()) {
            ChatProto.GroupEntry e = it.next();
            items.add(ProtoMapping.group(e.getGroup()));
            next = e.hasNext() ? e.getNext() : null;
          }
          return new Page<>(items, next);
        });
  }

  // ---- chat requests ----------------------------------------------------------------------------

  @Override
  public void requestChat(String peer) {
    GrpcClient.call(
        () ->
            blocking()
                .requestChat(
                    ChatProto.RequestChatRequest.newBuilder()
                        .setUser(peer == null ? "" : peer)
                        .build()));
  }

  @Override
  public void respondChat(String requester, boolean accept) {
    GrpcClient.call(
        () ->
            blocking()
                .respondChat(
                    ChatProto.RespondChatRequest.newBuilder()
                        .setUser(requester == null ? "" : requester)
                        .setAccept(accept)
                        .build()));
  }

  // ---- end-to-end keys -------------------------------------------------------------------------

  @Override
  public void publishKeys(byte[] bundle) {
    GrpcClient.call(
        () ->
            blocking()
                .publishKeys(
                    ChatProto.PublishKeysRequest.newBuilder()
                        .setBundle(
                            com.google.protobuf.ByteString.copyFrom(
                                bundle == null ? new byte[0] : bundle))
                        .build()));
  }

  @Override
  public java.util.Optional<byte[]> fetchKeys(String user) {
    ChatProto.FetchKeysResponse r =
        GrpcClient.call(
            () ->
                blocking()
                    .fetchKeys(
                        ChatProto.FetchKeysRequest.newBuilder()
                            .setUser(user == null ? "" : user)
                            .build()));
    return r.getFound() ? java.util.Optional.of(r.getBundle().toByteArray()) : java.util.Optional.empty();
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  @Override
  public void deleteAccount() {
    sends.close();
    GrpcClient.call(
        () -> blocking().deleteAccount(ChatProto.DeleteAccountRequest.getDefaultInstance()));
    loggedOut = true;
  }

  /**
   * Ends the session on the server. Idempotent, like the core's: a session the server no longer
   * knows (logged out elsewhere, expired, account deleted) counts as ended.
   */
  @Override
  public void logout() {
    if (loggedOut) {
      return;
    }
    sends.close();
    try {
      GrpcClient.call(() -> blocking().logout(ChatProto.LogoutRequest.getDefaultInstance()));
    } catch (ChatException e) {
      if (e.code() != ErrorCode.UNAUTHENTICATED) {
        throw e;
      }
    }
    loggedOut = true;
  }

  @Override
  public String toString() {
    return "GrpcClientSession[" + user + "]";
  }
}
