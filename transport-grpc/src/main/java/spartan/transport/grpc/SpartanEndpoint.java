package spartan.transport.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.GroupInfo;
import spartan.core.Limits;
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
 * <p>Server-streaming replies are read from the store a few items at a time and written only
 * while the call is ready ({@link StreamedReply}), within a per-session budget ({@link
 * ReplyBudget}): a client that stops reading holds little on the server, however much it asked
 * for.
 */
final class SpartanEndpoint extends SpartanGrpc.SpartanImplBase {
  /**
   * The most undelivered entries one {@code FetchUndelivered} call reads (the core has no cursor
   * past the ack, so the call cannot read them in steps): bounds what one call holds while its
   * entries are trimmed to the session's budget.
   */
  static final int UNDELIVERED_PER_CALL = 128;

  private final ChatService service;
  private final ReplyBudget replies;
  private final DeliveryStats stats = new DeliveryStats();
  private final EventWire wire = new EventWire();
  private final Set<GrpcServerEventPump> streams = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;
  private final Set<SendStreamCall> sendStreams = ConcurrentHashMap.newKeySet();

  /**
   * @param maxFrameBytes the frame limit: no reply item is larger (a client accepts nothing
   *     larger), so it is the worst case when sizing a store read
   */
  SpartanEndpoint(ChatService service, int maxFrameBytes) {
    this.service = service;
    this.replies = new ReplyBudget(maxFrameBytes);
  }

  /** The budget of server-streaming replies (per session and address), for tests and metrics. */
  ReplyBudget replies() {
    return replies;
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
    for (GrpcServerEventPump b : List.copyOf(streams)) {
      b.shutdown();
    }
    for (SendStreamCall c : List.copyOf(sendStreams)) {
      c.shutdown();
    }
  }

  /**
   * The service as the calling client's address sees it, so its sign-ups and login attempts
   * count against that address; in-process calls have no address and use the service itself.
   */
  private ChatService caller() {
    InetAddress peer = PeerAddress.current();
    return peer == null ? service : service.forClient(peer);
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
          caller()
              .createAccount(
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
              caller()
                  .login(request.getUser(), request.hasPassword() ? request.getPassword() : null);
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
        session -> session.listAccounts(request.getPattern(), request.getAfter(), request.getLimit()),
        (a, next) -> {
          ChatProto.AccountEntry.Builder b = ChatProto.AccountEntry.newBuilder();
          if (a != null) {
            b.setAccount(ProtoMapping.account(a));
          }
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
   * differs, and every method's requests are parsed through {@link MalformedRequests#tolerant}
   * (the server must install {@link MalformedRequests#interceptor}). (The generated {@code
   * receiveMsg} is left as the base class has it: never bound.)
   */
  ServerServiceDefinition encodedDefinition() {
    ServerServiceDefinition generated = bindService();
    MethodDescriptor<ChatProto.ReceiveMsgRequest, Object> receive =
        SpartanGrpc.getReceiveMsgMethod()
            .toBuilder(
                MalformedRequests.tolerant(
                    ProtoUtils.marshaller(ChatProto.ReceiveMsgRequest.getDefaultInstance())),
                EventWire.MARSHALLER)
            .build();
    List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
      if (!m.getMethodDescriptor().getFullMethodName().equals(receive.getFullMethodName())) {
        others.add(MalformedRequests.tolerant(ProtoArrays.arrayResponses(m)));
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
      if (request.getAfterSeq() < 0) {
        // Refused before the subscription, so the client sees no `started` event first.
        throw ChatException.invalid("afterSeq must not be negative");
      }
      session = session();
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    GrpcServerEventPump[] self = new GrpcServerEventPump[1];
    GrpcServerEventPump bridge =
        new GrpcServerEventPump(
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
    streamed(reply, session -> undelivered(session, request.getLimit()));
  }

  @Override
  public void history(
      ChatProto.HistoryRequest request, StreamObserver<ChatProto.Message> reply) {
    streamed(
        reply,
        session ->
            new HistoryPages(
                session,
                request.hasWith() ? ProtoMapping.recipientOrNull(request.getWith()) : null,
                request.getBeforeId(),
                request.getLimit()));
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
        session -> session.listGroups(request.getAfter(), request.getLimit()),
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

  /**
   * Streams a page's items, the last one carrying the cursor of the next page (a page that
   * stopped early with no items is one entry with no item, given to {@code entry} as null). A
   * page is one
   * read of at most {@link Limits#MAX_PAGE} small entries, counted in the session's budget.
   */
  private <T, R extends MessageLite> void paged(
      StreamObserver<R> reply,
      Function<Session, Page<T>> call,
      BiFunction<T, String, R> entry) {
    streamed(
        reply,
        session -> {
          boolean[] done = new boolean[1];
          return (maxItems, freeBytes) -> {
            if (done[0]) {
              return List.of();
            }
            done[0] = true;
            Page<T> page = call.apply(session);
            List<R> out = new ArrayList<>(page.items().size());
            for (int i = 0; i < page.items().size(); i++) {
              boolean last = i == page.items().size() - 1;
              out.add(entry.apply(page.items().get(i), last ? page.next() : null));
            }
            if (out.isEmpty() && page.next() != null) {
              out.add(entry.apply(null, page.next())); // stopped early having found none
            }
            return out;
          };
        });
  }

  /**
   * Serves a server-streaming call of the caller's session from {@code source}, read as the
   * client takes it ({@link StreamedReply}), within the session's {@link ReplyBudget}: a session
   * with {@link ReplyBudget#MAX_PER_SESSION} replies open, or an address with {@link
   * ReplyBudget#MAX_PER_ADDRESS}, is refused with {@code RESOURCE_EXHAUSTED} and a retry delay.
   */
  private <R extends MessageLite> void streamed(
      StreamObserver<R> reply, Function<Session, StreamedReply.Source<R>> source) {
    ReplyBudget.Lease share;
    StreamedReply.Source<R> items;
    try {
      Session session = session();
      items = source.apply(session);
      share = replies.open(session.token(), PeerAddress.current());
    } catch (RuntimeException e) {
      reply.onError(StatusMapping.toStatus(e));
      return;
    }
    StreamedReply.serve((ServerCallStreamObserver<R>) reply, share, items);
  }

  /**
   * A {@code FetchUndelivered} reply. The core reads the inbox from the ack cursor with no other
   * cursor, so this is one read: of at most {@link #UNDELIVERED_PER_CALL} entries (fewer than
   * {@code limit} if that is larger), trimmed to the session's free budget in bytes (at least one
   * entry). The rest stays in the inbox for the event stream or the next call, after an ack.
   */
  private static StreamedReply.Source<ChatProto.Delivery> undelivered(Session session, int limit) {
    boolean[] done = new boolean[1];
    return (maxItems, freeBytes) -> {
      if (done[0]) {
        return List.of();
      }
      done[0] = true;
      boolean valid = limit >= 1 && limit <= Limits.MAX_PAGE; // else the core refuses it
      List<Delivery> ds =
          session.fetchUndelivered(valid ? Math.min(limit, UNDELIVERED_PER_CALL) : limit);
      List<ChatProto.Delivery> out = new ArrayList<>(ds.size());
      long bytes = 0;
      for (Delivery d : ds) {
        ChatProto.Delivery item = ProtoMapping.delivery(d);
        bytes += item.getSerializedSize();
        if (!out.isEmpty() && bytes > freeBytes) {
          break;
        }
        out.add(item);
      }
      return out;
    };
  }
}
