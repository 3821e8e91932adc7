package spartan.core.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import spartan.core.AuthMode;
import spartan.core.Delivery;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;

/**
 * A {@link ChatStore} that forwards every call to another, for wrappers that change a few calls
 * (the recent-message cache, test stores that hold appends back) without restating the rest.
 * As thread-safe as the target; {@link #close()} closes the target.
 */
public class ForwardingChatStore implements ChatStore {
  /** The store calls are forwarded to. */
  protected final ChatStore target;

  public ForwardingChatStore(ChatStore target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    return target.createAccount(user, passwordHash, createdAt);
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    return target.findAccount(user);
  }

  @Override
  public long passwordAccounts() {
    return target.passwordAccounts();
  }

  @Override
  public Optional<AuthMode> recordedAuthMode() {
    return target.recordedAuthMode();
  }

  @Override
  public void recordAuthMode(AuthMode mode) {
    target.recordAuthMode(mode);
  }

  @Override
  public boolean deleteAccount(String user) {
    return target.deleteAccount(user);
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    return target.listAccounts(glob, after, limit);
  }

  @Override
  public AccountPage accountPage(String glob, String after, int limit) {
    return target.accountPage(glob, after, limit);
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    target.putKeys(user, bundle);
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    return target.findKeys(user);
  }

  @Override
  public GroupRecord createGroup(String group, String owner, GroupPolicy policy, Instant createdAt) {
    return target.createGroup(group, owner, policy, createdAt);
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    return target.findGroup(group);
  }

  @Override
  public boolean addMember(
      String group, String user, GroupRole role, long since, int maxGroupSize) {
    return target.addMember(group, user, role, since, maxGroupSize);
  }

  @Override
  public boolean removeMember(String group, String user) {
    return target.removeMember(group, user);
  }

  @Override
  public boolean setRole(String group, String user, GroupRole role) {
    return target.setRole(group, user, role);
  }

  @Override
  public void setPolicy(String group, GroupPolicy policy) {
    target.setPolicy(group, policy);
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    return target.groupsOf(user, after, limit);
  }

  @Override
  public List<String> invite(
      String group, List<String> users, String by, Instant at, int maxGroupSize) {
    return target.invite(group, users, by, at, maxGroupSize);
  }

  @Override
  public List<GroupInvite> invitesOf(String user) {
    return target.invitesOf(user);
  }

  @Override
  public boolean deleteInvite(String group, String user) {
    return target.deleteInvite(group, user);
  }

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    return target.append(draft);
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    return target.inbox(user, afterSeq, limit);
  }

  @Override
  public long lastSeq(String user) {
    return target.lastSeq(user);
  }

  @Override
  public java.util.Map<String, Long> lastSeqs(java.util.Collection<String> users) {
    return target.lastSeqs(users);
  }

  @Override
  public void ack(String user, long upToSeq) {
    target.ack(user, upToSeq);
  }

  @Override
  public long ackedSeq(String user) {
    return target.ackedSeq(user);
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    return target.history(conversation, beforeId, limit);
  }

  @Override
  public void readLater(Message m) {
    target.readLater(m);
  }

  @Override
  public List<Message> cachedHistory(String conversation, long beforeId, int limit) {
    return target.cachedHistory(conversation, beforeId, limit);
  }

  @Override
  public void close() {
    target.close();
  }
}
