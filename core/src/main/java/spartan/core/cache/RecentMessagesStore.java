package spartan.core.cache;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.store.ChatStore;

/** The {@link ChatStore} face of {@link RecentMessages}: delegates, feeding and reading it. */
final class RecentMessagesStore implements ChatStore {
  private final ChatStore store;
  private final RecentMessages recent;

  RecentMessagesStore(ChatStore store, RecentMessages recent) {
    this.store = store;
    this.recent = recent;
  }

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    String conversation = draft.conversation();
    recent.appendStarted(conversation);
    CompletableFuture<Appended> appended;
    try {
      appended = store.append(draft);
    } catch (RuntimeException e) {
      recent.appendCompleted(conversation, null);
      throw e;
    }
    // Dependents of the returned future (the sender's receipt) run after the cache holds it.
    return appended.whenComplete(
        (a, err) ->
            recent.appendCompleted(
                conversation, err == null && !a.duplicate() ? a.message() : null));
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    if (!recent.isServing() || beforeId < 0 || limit < 1) {
      return store.history(conversation, beforeId, limit);
    }
    return recent.history(conversation, beforeId, limit, store::history);
  }

  // ---- plain delegation -----------------------------------------------------------------------

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    return store.createAccount(user, passwordHash, createdAt);
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    return store.findAccount(user);
  }

  @Override
  public boolean deleteAccount(String user) {
    return store.deleteAccount(user);
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    store.putKeys(user, bundle);
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    return store.findKeys(user);
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    return store.listAccounts(glob, after, limit);
  }

  @Override
  public GroupRecord createGroup(String group, Set<String> members, Instant createdAt) {
    return store.createGroup(group, members, createdAt);
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    return store.findGroup(group);
  }

  @Override
  public boolean addMember(String group, String user) {
    return store.addMember(group, user);
  }

  @Override
  public boolean removeMember(String group, String user) {
    return store.removeMember(group, user);
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    return store.groupsOf(user, after, limit);
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    return store.inbox(user, afterSeq, limit);
  }

  @Override
  public long lastSeq(String user) {
    return store.lastSeq(user);
  }

  @Override
  public void ack(String user, long upToSeq) {
    store.ack(user, upToSeq);
  }

  @Override
  public long ackedSeq(String user) {
    return store.ackedSeq(user);
  }

  @Override
  public void close() {
    store.close();
  }

  @Override
  public String toString() {
    return "RecentMessages[" + store + "]";
  }
}
