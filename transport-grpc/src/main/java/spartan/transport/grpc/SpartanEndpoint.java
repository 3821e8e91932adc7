package spartan.transport.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.GroupInfo;
import spartan.core.Message;
import spartan.core.Page;
import spartan.core.Session;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

/**
 * The server adapter: each RPC finds the caller's session with {@code service.resume(token)} (the
 * token comes from {@link BearerAuth}), calls the core, and answers with the converted result or
 * the mapped status. Handlers run on the server's executor (the transport's blocking executor),
 * never on a Netty event loop, so they may block on the store.
 *
 * <p>Server-streaming replies are written only while the call is ready, so a slow client holds
 * them in its own buffers, not in the server's.
 */
final class SpartanEndpoint extends SpartanGrpc.SpartanImplBase {
  private final ChatService service;
  private final DeliveryStats stats = new DeliveryStats();
  private final EventWire wire = new EventWire();
  private final Set<DeliveryBridge> streams = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;
  private final Set<SendStreamCall> sendStreams = ConcurrentHashMap.newKeySet();

  SpartanEndpoint(ChatService service) {
    this.service = service;
  }

  DeliveryStats stats() {
    return stats;
  }

  /** SendStream calls open now, for tests and metrics. */
  int openSendStreams() {
    return sendStreams.size();
  }

  /**
   * Ends every open event stream with {@code UNAVAILABLE}, for a prompt shutdown; send streams
   * stop reading and end the same way once the sends they read are answered.
   */
  void closeStreams() {
    closing = true; // a stream registered after the snapshots below sees this and ends itself
    for (DeliveryBridge b : List.copyOf(streams)) {
      b.shutdown();
    }
    for (SendStreamCall c : List.copyOf(sendStreams)) {
      c.shutdown();
    }
  }

  private Session session() {
    String token = BearerAuth.presentedToken();
    if (token == null) {
      throw ChatException.unauthenticated("This call needs a session: log in first.");
    }
    return service.resume(token);
  }

  // ---- accounts ---------------------------------------------------------------------------------

  @Override
  public void getServerInfo(
      ChatProto.GetServerInfoRequest request, StreamObserver<ChatProto.ServerInfo> reply) {
    unary(
        reply,
        () ->
            ChatProto.ServerInfo.newBuilder()
                .setAuthMode(ProtoMapping.authMode(service.authMode()))
                .build());
  }

  @Override
  public void createAccount(
      ChatProto.CreateAccountRequest request,
      StreamObserver<ChatProto.CreateAccountResponse> reply) {
    unary(
        reply,
        () -> {
          service.createAccount(
              request.getUser(), request.hasPassword() ? request.getPassword() : null);
          return ChatProto.CreateAccountResponse.getDefaultInstance();
        });
  }

  @Override
  public void login(
      ChatProto.LoginRequest request, StreamObserver<ChatProto.LoginResponse> reply) {
    unary(
        reply,
        () -> {
          Session s =
              service.login(request.getUser(), request.hasPassword() ? request.getPassword() : null);
          return ChatProto.LoginResponse.newBuilder()
              .setUser(s.user())
              .setToken(s.token())
              .build();
        });
  }

  @Override
  public void whoami(
      ChatProto.WhoamiRequest request, StreamObserver<ChatProto.WhoamiResponse> reply) {
    unary(reply, () -> ChatProto.WhoamiResponse.newBuilder().setUser(session().user()).build());
  }

  @Override
  public void logout(
      ChatProto.LogoutRequest request, StreamObserver<ChatProto.LogoutResponse> reply) {
    unary(
        reply,
        () -> {
          session().logout();
          return ChatProto.LogoutResponse.getDefaultInstance();
        });
  }

  @Override
  public void deleteAccount(
      ChatProto.DeleteAccountRequest request,
      StreamObserver<ChatProto.DeleteAccountResponse> reply) {
    unary(
        reply,
        () -> {
          session().deleteAccount();
          return ChatProto.DeleteAccountResponse.getDefaultInstance();
        });
  }

  @Override
  public void listAccounts(
      ChatProto.ListAccountsRequest request, StreamObserver<ChatProto.AccountEntry> reply) {
    paged(
        reply,
        () -> session().listAccounts(request.getPattern(), request.getAfter(), request.getLimit()),
        (a, next) -> {
          ChatProto.AccountEntry.Builder b =
              ChatProto.AccountEntry.newBuilder().setAccount(ProtoMapping.account(a));
          if (next != null) {
            b.setNext(next);
          }
          return b.build();
        });
  }

  // ---- messages ---------------------------------------------------------------------------------

  @Override
  public void sendMessage(
      ChatProto.SendMessageRequest request, StreamObserver<ChatProto.SendReceipt> reply) {
    Session session;
    try {
      session = session();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    SendStreamCall.send(session, request)
        .whenComplete(
            (receipt, failure) -> {
              if (failure != null) {
                reply.onError(StatusMapping.toStatus(failure));
              } else {
                reply.onNext(ProtoMapping.receipt(receipt));
                reply.onCompleted();
              }
            });
  }

  @Override
  public StreamObserver<ChatProto.SendStreamRequest> sendStream(
      StreamObserver<ChatProto.SendResult> reply) {
    Session session;
    try {
      session = session();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return new StreamObserver<>() {
        @Override
        public void onNext(ChatProto.SendStreamRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    SendStreamCall[] self = new SendStreamCall[1];
    SendStreamCall call =
        SendStreamCall.start(
            session,
            (ServerCallStreamObserver<ChatProto.SendResult>) reply,
            () -> sendStreams.remove(self[0]));
    self[0] = call;
    sendStreams.add(call);
    return call;
  }

  /**
   * The service as the server registers it: the generated definition, except that {@code
   * ReceiveMsg} is {@link #receiveEncoded}, writing events through {@link EventWire#MARSHALLER},
   * so a group message is serialised once, and every other method's responses are written through
   * {@link ProtoArrays} (one array per response). Methods keep their names, types and schema
   * (reflection lists them as before); only the server's way of producing the response bytes
   * differs. (The generated {@code receiveMsg} is left as the base class has it: never bound.)
   */
  ServerServiceDefinition encodedDefinition() {
    ServerServiceDefinition generated = bindService();
    MethodDescriptor<ChatProto.ReceiveMsgRequest, Object> receive =
        SpartanGrpc.getReceiveMsgMethod()
            .toBuilder(
                ProtoUtils.marshaller(ChatProto.ReceiveMsgRequest.getDefaultInstance()),
                EventWire.MARSHALLER)
            .build();
    List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
      if (!m.getMethodDescriptor().getFullMethodName().equals(receive.getFullMethodName())) {
        others.add(ProtoArrays.arrayResponses(m));
      }
    }
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(SpartanGrpc.SERVICE_NAME)
            .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor())
            .addMethod(receive);
    others.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
    others.forEach(definition::addMethod);
    definition.addMethod(receive, ServerCalls.asyncServerStreamingCall(this::receiveEncoded));
    return definition.build();
  }

  /** {@code ReceiveMsg} as GrpcServer binds it, with {@link EventWire#MARSHALLER}. */
  void receiveEncoded(ChatProto.ReceiveMsgRequest request, StreamObserver<Object> reply) {
    ServerCallStreamObserver<Object> call = (ServerCallStreamObserver<Object>) reply;
    Session session;
    try {
      session = session();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    DeliveryBridge[] self = new DeliveryBridge[1];
    DeliveryBridge bridge =
        new DeliveryBridge(
            call,
            wire,
            stats,
            () -> {
              streams.remove(self[0]);
              stats.closed();
            });
    self[0] = bridge;
    streams.add(bridge);
    stats.opened();
    // Both handlers must be set before this method returns.
    call.setOnCancelHandler(bridge::onCancel);
    call.setOnReadyHandler(bridge::onReady);
    session.events(request.getAfterSeq()).subscribe(bridge);
    if (closing) {
      bridge.shutdown(); // opened while the server was stopping, after closeStreams' snapshot
    }
  }

  @Override
  public void ack(ChatProto.AckRequest request, StreamObserver<ChatProto.AckResponse> reply) {
    unary(
        reply,
        () -> {
          session().ack(request.getUpToSeq());
          return ChatProto.AckResponse.getDefaultInstance();
        });
  }

  @Override
  public void fetchUndelivered(
      ChatProto.FetchUndeliveredRequest request, StreamObserver<ChatProto.Delivery> reply) {
    streamed(
        reply,
        () -> {
          List<Delivery> ds = session().fetchUndelivered(request.getLimit());
          return ds.stream().map(ProtoMapping::delivery).toList();
        });
  }

  @Override
  public void history(
      ChatProto.HistoryRequest request, StreamObserver<ChatProto.Message> reply) {
    streamed(
        reply,
        () -> {
          List<Message> ms =
              session()
                  .history(
                      request.hasWith() ? ProtoMapping.recipientOrNull(request.getWith()) : null,
                      request.getBeforeId(),
                      request.getLimit());
          return ms.stream().map(ProtoMapping::message).toList();
        });
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Override
  public void createGroup(
      ChatProto.CreateGroupRequest request, StreamObserver<ChatProto.CreateGroupResponse> reply) {
    unary(
        reply,
        () -> {
          session()
              .createGroup(
                  request.getGroup(),
                  request.getInviteesList(),
                  GroupWire.policy(request.getOpen(), request.getSharedHistory()));
          return ChatProto.CreateGroupResponse.getDefaultInstance();
        });
  }

  @Override
  public void joinGroup(
      ChatProto.JoinGroupRequest request, StreamObserver<ChatProto.JoinGroupResponse> reply) {
    unary(
        reply,
        () -> {
          session().joinGroup(request.getGroup());
          return ChatProto.JoinGroupResponse.getDefaultInstance();
        });
  }

  @Override
  public void leaveGroup(
      ChatProto.LeaveGroupRequest request, StreamObserver<ChatProto.LeaveGroupResponse> reply) {
    unary(
        reply,
        () -> {
          session().leaveGroup(request.getGroup());
          return ChatProto.LeaveGroupResponse.getDefaultInstance();
        });
  }

  @Override
  public void listGroups(
      ChatProto.ListGroupsRequest request, StreamObserver<ChatProto.GroupEntry> reply) {
    paged(
        reply,
        () -> session().listGroups(request.getAfter(), request.getLimit()),
        (GroupInfo g, String next) -> {
          ChatProto.GroupEntry.Builder b =
              ChatProto.GroupEntry.newBuilder().setGroup(ProtoMapping.group(g));
          if (next != null) {
            b.setNext(next);
          }
          return b.build();
        });
  }

  @Override
  public void invite(ChatProto.InviteRequest request, StreamObserver<ChatProto.InviteResponse> reply) {
    unary(
        reply,
        () -> {
          session().invite(request.getGroup(), request.getUsersList());
          return ChatProto.InviteResponse.getDefaultInstance();
        });
  }

  @Override
  public void declineInvite(
      ChatProto.DeclineInviteRequest request,
      StreamObserver<ChatProto.DeclineInviteResponse> reply) {
    unary(
        reply,
        () -> {
          session().declineInvite(request.getGroup());
          return ChatProto.DeclineInviteResponse.getDefaultInstance();
        });
  }

  @Override
  public void removeMember(
      ChatProto.RemoveMemberRequest request, StreamObserver<ChatProto.RemoveMemberResponse> reply) {
    unary(
        reply,
        () -> {
          session().removeMember(request.getGroup(), request.getUser());
          return ChatProto.RemoveMemberResponse.getDefaultInstance();
        });
  }

  @Override
  public void setRole(
      ChatProto.SetRoleRequest request, StreamObserver<ChatProto.SetRoleResponse> reply) {
    unary(
        reply,
        () -> {
          session()
              .setRole(request.getGroup(), request.getUser(), GroupWire.role(request.getRole()));
          return ChatProto.SetRoleResponse.getDefaultInstance();
        });
  }

  @Override
  public void setGroupPolicy(
      ChatProto.SetGroupPolicyRequest request,
      StreamObserver<ChatProto.SetGroupPolicyResponse> reply) {
    unary(
        reply,
        () -> {
          session()
              .setGroupPolicy(
                  request.getGroup(),
                  GroupWire.policy(request.getOpen(), request.getSharedHistory()));
          return ChatProto.SetGroupPolicyResponse.getDefaultInstance();
        });
  }

  @Override
  public void listInvitations(
      ChatProto.ListInvitationsRequest request,
      StreamObserver<ChatProto.ListInvitationsResponse> reply) {
    unary(
        reply,
        () -> {
          ChatProto.ListInvitationsResponse.Builder b =
              ChatProto.ListInvitationsResponse.newBuilder();
          session().invitations().forEach(i -> b.addInvitations(GroupWire.invite(i)));
          return b.build();
        });
  }

  @Override
  public void getGroupInfo(
      ChatProto.GetGroupInfoRequest request, StreamObserver<ChatProto.GroupInfo> reply) {
    unary(reply, () -> GroupWire.info(session().groupInfo(request.getGroup())));
  }

  // ---- chat requests ----------------------------------------------------------------------------

  @Override
  public void requestChat(
      ChatProto.RequestChatRequest request, StreamObserver<ChatProto.RequestChatResponse> reply) {
    unary(
        reply,
        () -> {
          session().requestChat(request.getUser());
          return ChatProto.RequestChatResponse.getDefaultInstance();
        });
  }

  @Override
  public void respondChat(
      ChatProto.RespondChatRequest request, StreamObserver<ChatProto.RespondChatResponse> reply) {
    unary(
        reply,
        () -> {
          session().respondChat(request.getUser(), request.getAccept());
          return ChatProto.RespondChatResponse.getDefaultInstance();
        });
  }

  @Override
  public void publishKeys(
      ChatProto.PublishKeysRequest request, StreamObserver<ChatProto.PublishKeysResponse> reply) {
    unary(
        reply,
        () -> {
          session().publishKeys(request.getBundle().toByteArray());
          return ChatProto.PublishKeysResponse.getDefaultInstance();
        });
  }

  @Override
  public void fetchKeys(
      ChatProto.FetchKeysRequest request, StreamObserver<ChatProto.FetchKeysResponse> reply) {
    unary(
        reply,
        () -> {
          ChatProto.FetchKeysResponse.Builder b = ChatProto.FetchKeysResponse.newBuilder();
          session()
              .fetchKeys(request.getUser())
              .ifPresent(k -> b.setFound(true).setBundle(com.google.protobuf.ByteString.copyFrom(k)));
          return b.build();
        });
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private static <T> void unary(StreamObserver<T> reply, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    reply.onNext(result);
    reply.onCompleted();
  }

  /** Streams a page's items, the last one carrying the cursor of the next page. */
  private static <T, R> void paged(
      StreamObserver<R> reply,
      Supplier<Page<T>> call,
      BiFunction<T, String, R> entry) {
    streamed(
        reply,
        () -> {
          Page<T> page = call.get();
          List<R> out = new ArrayList<>(page.items().size());
          for (int i = 0; i < page.items().size(); i++) {
            boolean last = i == page.items().size() - 1;
            out.add(entry.apply(page.items().get(i), last ? page.next() : null));
          }
          return out;
        });
  }

  /**
   * Writes a list as a stream, only while the call is ready (continuing from its onReady
   * handler), so a reader that stalls keeps the rest of the list out of gRPC's buffers.
   */
  private static <R> void streamed(StreamObserver<R> reply, Supplier<List<R>> call) {
    List<R> items;
    try {
      items = call.get();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    ServerCallStreamObserver<R> out = (ServerCallStreamObserver<R>) reply;
    Iterator<R> it = items.iterator();
    Runnable drain =
        new Runnable() {
          private boolean done;

          @Override
          public synchronized void run() {
            while (!done && out.isReady() && it.hasNext()) {
              out.onNext(it.next());
            }
            if (!done && !it.hasNext()) {
              done = true;
              out.onCompleted();
            }
          }
        };
    out.setOnCancelHandler(() -> {});
    out.setOnReadyHandler(drain);
    drain.run();
  }
}
