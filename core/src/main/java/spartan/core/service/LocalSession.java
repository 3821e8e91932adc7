package spartan.core.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Names;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.auth.SessionTokens;
import spartan.core.spi.CachedReads;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.GroupRecord;

/** A logged-in session of the in-process service. */
final class LocalSession implements Session, CachedReads.Source {
  private final LocalChatService service;
  private final ChatStore store;
  private final AccountRecord account;
  private final String user;
  final String tokenId;
  final byte[] secret;
  private final String token;
  private volatile Instant lastUsed;
  private volatile boolean ended;
  private volatile EventStream stream;
  /** Completes this session's send receipts off the store's writer thread, in commit order. */
  private final SerializingExecutor receipts;
  /** This session's {@code @Cached} form: the same reads, which the cache may answer. */
  private final CachedReads cachedReads =
      (with, beforeId, limit) -> history(with, beforeId, limit, true);

  LocalSession(LocalChatService service, AccountRecord account, SessionTokens.Token t, Instant now) {
    this.service = service;
    this.store = service.store;
    this.account = account;
    this.user = account.user();
    this.tokenId = t.id();
    this.secret = t.secret();
    this.token = t.value();
    this.lastUsed = now;
    this.receipts = new SerializingExecutor(service.deliveryExecutor);
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String token() {
    return token;
  }

  /** The id of the account this session logged in to (a re-created name has another). */
  long accountId() {
    return account.id();
  }

  Instant lastUsed() {
    return lastUsed;
  }

  void touch() {
    lastUsed = service.clock.instant();
  }

  boolean hasStream() {
    EventStream s = stream;
    return s != null && s.isActive();
  }

  private void check() {
    if (ended) {
      throw ChatException.unauthenticated("Session expired or logged out; log in again.");
    }
    service.checkOpen();
    touch();
  }

  // ---- sending ----------------------------------------------------------------------------------

  @Override
  public CompletableFuture<SendReceipt> sendAsync(
      Recipient to, MessageBody body, String clientMsgId) {
    try {
      check();
      ChatStore.Draft draft = draft(to, body, clientMsgId);
      chargeFanout(draft.recipients().size());
      CompletableFuture<SendReceipt> receipt = new CompletableFuture<>();
      // On the writer thread: only hand-offs. Fan-out goes to the delivery router; the
      // receipt completes on this session's lane, so the sender's answer never waits for
      // fan-out, and nothing downstream of it runs on the writer.
      store
          .append(draft)
          .whenComplete(
              (appended, err) -> {
                if (err == null) {
                  service.delivery.stored(appended);
                  service.published(appended);
                }
                Runnable answer = () -> answer(receipt, to, appended, err);
                try {
                  receipts.execute(answer);
                } catch (RejectedExecutionException shutDown) {
                  answer.run();
                }
              });
      return receipt;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(ChatException.wrap(e));
    }
  }

  private void answer(
      CompletableFuture<SendReceipt> receipt,
      Recipient to,
      ChatStore.Appended appended,
      Throwable err) {
    if (err != null) {
      receipt.completeExceptionally(ChatException.wrap(err));
      return;
    }
    if (!appended.duplicate()) {
      service.metrics.messageStored(to instanceof Recipient.Group, appended.recipients().size());
    }
    Message m = appended.message();
    receipt.complete(new SendReceipt(m.id(), m.sentAt(), appended.duplicate()));
  }

  /** Charges a message by its recipients against the fan-out budget, if one is configured. */
  private void chargeFanout(int recipients) {
    if (service.fanout != null && recipients > 0) {
      var d = service.fanout.tryAcquire(user, recipients);
      if (!d.allowed()) {
        throw ChatException.rateLimited(d.retryAfter());
      }
    }
  }

  private ChatStore.Draft draft(Recipient to, MessageBody body, String clientMsgId) {
    if (to == null) {
      throw ChatException.invalid("recipient is required");
    }
    checkBody(body);
    if (clientMsgId != null
        && (clientMsgId.isEmpty() || clientMsgId.length() > Limits.MAX_CLIENT_MSG_ID)) {
      throw ChatException.invalid(
          "clientMsgId must be 1-" + Limits.MAX_CLIENT_MSG_ID + " characters");
    }
    String conversation;
    List<String> recipients;
    if (to instanceof Recipient.User u) {
      if (u.name().equals(user)) {
        throw ChatException.invalid("You cannot send a message to yourself.");
      }
      AccountRecord peer = requireUser(u.name());
      conversation = directConversation(peer);
      recipients = List.of(peer.user());
    } else {
      GroupRecord g = requireMembership(to.name());
      conversation = "g:" + g.id();
      recipients = new ArrayList<>(g.members().size());
      for (String m : g.members()) {
        if (!m.equals(user)) {
          recipients.add(m);
        }
      }
    }
    return new ChatStore.Draft(
        user, to, body, service.clock.instant(), clientMsgId, conversation, recipients);
  }

  private void checkBody(MessageBody body) {
    Limits limits = service.limits;
    if (body instanceof MessageBody.Text t) {
      if (t.text().isBlank()) {
        throw ChatException.invalid("message body is empty");
      }
      if (t.text().length() > limits.maxBodyChars()) {
        throw ChatException.invalid(
            "message body is longer than " + limits.maxBodyChars() + " characters");
      }
    } else if (body instanceof MessageBody.Sealed s) {
      if (s.length() == 0 || s.length() > limits.maxEnvelopeBytes()) {
        throw ChatException.invalid(
            "sealed envelope must be 1-" + limits.maxEnvelopeBytes() + " bytes");
      }
    } else {
      throw ChatException.invalid("message body is required");
    }
  }

  private String directConversation(AccountRecord peer) {
    long a = Math.min(account.id(), peer.id());
    long b = Math.max(account.id(), peer.id());
    return "d:" + a + ":" + b;
  }

  private AccountRecord requireUser(String name) {
    return store
        .findAccount(name)
        .orElseThrow(() -> ChatException.notFound("No such user: " + name + "."));
  }

  private GroupRecord requireGroup(String name) {
    return store
        .findGroup(name)
        .orElseThrow(() -> ChatException.notFound("No such group: " + name + "."));
  }

  private GroupRecord requireMembership(String name) {
    GroupRecord g = requireGroup(name);
    if (!g.members().contains(user)) {
      throw ChatException.denied("You are not a member of group " + name + ".");
    }
    return g;
  }

  // ---- inbox ------------------------------------------------------------------------------------

  @Override
  public List<Delivery> fetchUndelivered(int limit) {
    check();
    checkLimit(limit, Limits.MAX_PAGE);
    return store.inbox(user, store.ackedSeq(user), limit);
  }

  @Override
  public void ack(long upToSeq) {
    check();
    if (upToSeq < 0) {
      throw ChatException.invalid("upTo must not be negative");
    }
    // Sequences only grow, so one read is enough: an ack beyond it names messages the client
    // cannot have seen, and capping it silently would drop ones it never got.
    long last = store.lastSeq(user);
    if (upToSeq > last) {
      throw ChatException.invalid(
          "upTo " + upToSeq + " is beyond the last delivered sequence (" + last + ")");
    }
    store.ack(user, upToSeq);
  }

  @Override
  public Flow.Publisher<ChatEvent> events(long afterSeq) {
    return subscriber -> {
      if (subscriber == null) {
        throw new NullPointerException("subscriber");
      }
      long acked;
      try {
        check();
        if (afterSeq < 0) {
          throw ChatException.invalid("afterSeq must not be negative");
        }
        acked = store.ackedSeq(user);
      } catch (RuntimeException e) {
        subscriber.onSubscribe(NOOP);
        subscriber.onError(ChatException.wrap(e));
        return;
      }
      EventStream[] self = new EventStream[1];
      EventStream s =
          new EventStream(
              user,
              Math.max(afterSeq, acked),
              store,
              service.deliveryExecutor,
              MeteredSubscriber.wrap(subscriber, service.metrics, service.clock.instant()),
              () -> detach(self[0]));
      self[0] = s;
      EventStream previous;
      synchronized (this) {
        if (ended) {
          s.complete();
          s.start();
          return;
        }
        previous = stream;
        stream = s;
      }
      if (previous != null) {
        previous.complete();
      } else {
        // Seen by the other nodes before the stream reads its inbox: every entry stored from now
        // on is notified here, and every one stored before is read.
        service.bus.streamOpened(user);
      }
      for (String from : service.requests.pendingFor(user)) {
        s.offerControl(new ChatEvent.ChatRequested(from));
      }
      for (GroupInvite i : service.groups.invitations(user)) {
        s.offerControl(new ChatEvent.GroupInvited(i.group(), i.by()));
      }
      s.start();
    };
  }

  private static final Flow.Subscription NOOP =
      new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      };

  private void detach(EventStream s) {
    synchronized (this) {
      if (stream != s) {
        return;
      }
      stream = null;
      touch();
    }
    service.bus.streamClosed(user);
  }

  void offer(Delivery d) {
    EventStream s = stream;
    if (s != null) {
      s.offer(d);
    }
  }

  void storedUpTo(long seq) {
    EventStream s = stream;
    if (s != null) {
      s.storedUpTo(seq);
    }
  }

  void offerControl(ChatEvent e) {
    EventStream s = stream;
    if (s != null) {
      s.offerControl(e);
    }
  }

  // ---- listings ---------------------------------------------------------------------------------

  @Override
  public Page<Account> listAccounts(String pattern, String after, int limit) {
    check();
    String glob = Names.glob(pattern);
    checkLimit(limit, Limits.MAX_PAGE);
    String from = cursor(after);
    ChatStore.AccountPage page = store.accountPage(glob, from, limit);
    List<Account> out = new ArrayList<>(page.names().size());
    java.util.Set<String> online = service.online(page.names());
    for (String n : page.names()) {
      out.add(new Account(n, online.contains(n)));
    }
    return new Page<>(out, page.next());
  }

  @Override
  public List<Message> history(Recipient with, long beforeId, int limit) {
    return history(with, beforeId, limit, false);
  }

  @Override
  public CachedReads cachedReads() {
    return cachedReads;
  }

  /** The store read behind both forms; {@code cached} lets the recent-message cache answer. */
  private List<Message> history(Recipient with, long beforeId, int limit, boolean cached) {
    check();
    if (with == null) {
      throw ChatException.invalid("history needs a user or group");
    }
    checkLimit(limit, Limits.MAX_HISTORY);
    if (beforeId < 0) {
      throw ChatException.invalid("before must not be negative");
    }
    if (with instanceof Recipient.User u) {
      String conversation = directConversation(requireUser(u.name()));
      return cached
          ? store.cachedHistory(conversation, beforeId, limit)
          : store.history(conversation, beforeId, limit);
    }
    GroupRecord g = requireMembership(with.name());
    // A member reads from their join on: the newest messages before beforeId, less those from
    // before the join, are exactly the newest after it (ids grow with time).
    long since = g.member(user).since();
    String conversation = "g:" + g.id();
    List<Message> page =
        cached
            ? store.cachedHistory(conversation, beforeId, limit)
            : store.history(conversation, beforeId, limit);
    if (page.isEmpty() || page.get(0).id() > since) {
      return page;
    }
    return page.stream().filter(m -> m.id() > since).toList();
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Override
  public void createGroup(String group, Collection<String> invitees, GroupPolicy policy) {
    check();
    service.groups.create(user, group, invitees, policy);
  }

  @Override
  public void invite(String group, Collection<String> users) {
    check();
    service.groups.invite(user, group, users);
  }

  @Override
  public void joinGroup(String group) {
    check();
    service.groups.join(user, group);
  }

  @Override
  public void declineInvite(String group) {
    check();
    service.groups.decline(user, group);
  }

  @Override
  public void leaveGroup(String group) {
    check();
    service.groups.leave(user, group);
  }

  @Override
  public void removeMember(String group, String member) {
    check();
    service.groups.remove(user, group, member);
  }

  @Override
  public void setRole(String group, String member, GroupRole role) {
    check();
    service.groups.setRole(user, group, member, role);
  }

  @Override
  public void setGroupPolicy(String group, GroupPolicy policy) {
    check();
    service.groups.setPolicy(user, group, policy);
  }

  @Override
  public Page<GroupInfo> listGroups(String after, int limit) {
    check();
    checkLimit(limit, Limits.MAX_PAGE);
    return service.groups.list(user, after, limit);
  }

  @Override
  public List<GroupInvite> invitations() {
    check();
    return service.groups.invitations(user);
  }

  @Override
  public GroupInfo groupInfo(String group) {
    check();
    return service.groups.info(user, group);
  }

  // ---- chat requests ----------------------------------------------------------------------------

  @Override
  public void requestChat(String peer) {
    check();
    String name = Names.user(peer);
    if (name.equals(user)) {
      throw ChatException.invalid("You cannot chat with yourself.");
    }
    requireUser(name);
    service.requests.add(user, name);
    service.pushControl(List.of(name), new ChatEvent.ChatRequested(user));
  }

  @Override
  public void respondChat(String requester, boolean accept) {
    check();
    String name = Names.user(requester);
    if (!service.requests.remove(name, user)) {
      throw ChatException.notFound("No chat request from " + name + ".");
    }
    service.pushControl(List.of(name), new ChatEvent.ChatAnswered(user, accept));
  }

  // ---- end-to-end keys -------------------------------------------------------------------------

  @Override
  public void publishKeys(byte[] bundle) {
    check();
    if (bundle == null || bundle.length == 0 || bundle.length > Limits.MAX_KEY_BUNDLE) {
      throw ChatException.invalid("key bundle must be 1-" + Limits.MAX_KEY_BUNDLE + " bytes");
    }
    store.putKeys(user, bundle);
  }

  @Override
  public Optional<byte[]> fetchKeys(String peer) {
    check();
    String name = Names.user(peer);
    requireUser(name);
    return store.findKeys(name);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  @Override
  public void deleteAccount() {
    check();
    service.groups.deleteAccount(user);
    service.requests.forget(user);
    service.endAll(user);
  }

  @Override
  public void logout() {
    if (!ended) {
      service.end(this);
    }
  }

  void markEnded() {
    markEnded(null);
  }

  /** Ends the session; its stream completes, or fails with {@code why} if not null. */
  void markEnded(ChatException why) {
    EventStream s;
    synchronized (this) {
      ended = true;
      s = stream;
      stream = null;
    }
    if (s != null) {
      service.bus.streamClosed(user);
      if (why == null) {
        s.complete();
      } else {
        s.fail(why);
      }
    }
  }

  private static void checkLimit(int limit, int max) {
    if (limit < 1 || limit > max) {
      throw ChatException.invalid("limit must be 1-" + max + ", was " + limit);
    }
  }

  private static String cursor(String after) {
    if (after == null || after.isEmpty()) {
      return null;
    }
    return Names.user(after);
  }

  @Override
  public String toString() {
    return "Session[" + user + "]";
  }
}
