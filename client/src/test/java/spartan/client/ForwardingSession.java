package spartan.client;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
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

/** A session that forwards every call; tests override the calls they want to fail. */
class ForwardingSession implements Session {
  final Session delegate;

  ForwardingSession(Session delegate) {
    this.delegate = delegate;
  }

  @Override
  public String user() {
    return delegate.user();
  }

  @Override
  public String token() {
    return delegate.token();
  }

  @Override
  public CompletableFuture<SendReceipt> sendAsync(Recipient to, MessageBody body, String clientMsgId) {
    return delegate.sendAsync(to, body, clientMsgId);
  }

  @Override
  public List<Delivery> fetchUndelivered(int limit) {
    return delegate.fetchUndelivered(limit);
  }

  @Override
  public void ack(long upToSeq) {
    delegate.ack(upToSeq);
  }

  @Override
  public Flow.Publisher<ChatEvent> events(long afterSeq) {
    return delegate.events(afterSeq);
  }

  @Override
  public Page<Account> listAccounts(String pattern, String after, int limit) {
    return delegate.listAccounts(pattern, after, limit);
  }

  @Override
  public List<Message> history(Recipient with, long beforeId, int limit) {
    return delegate.history(with, beforeId, limit);
  }

  @Override
  public void createGroup(String group, Collection<String> members, GroupPolicy policy) {
    delegate.createGroup(group, members, policy);
  }

  @Override
  public void invite(String group, Collection<String> users) {
    delegate.invite(group, users);
  }

  @Override
  public void declineInvite(String group) {
    delegate.declineInvite(group);
  }

  @Override
  public void removeMember(String group, String user) {
    delegate.removeMember(group, user);
  }

  @Override
  public void setRole(String group, String user, GroupRole role) {
    delegate.setRole(group, user, role);
  }

  @Override
  public void setGroupPolicy(String group, GroupPolicy policy) {
    delegate.setGroupPolicy(group, policy);
  }

  @Override
  public List<GroupInvite> invitations() {
    return delegate.invitations();
  }

  @Override
  public GroupInfo groupInfo(String group) {
    return delegate.groupInfo(group);
  }

  @Override
  public void joinGroup(String group) {
    delegate.joinGroup(group);
  }

  @Override
  public void leaveGroup(String group) {
    delegate.leaveGroup(group);
  }

  @Override
  public Page<GroupInfo> listGroups(String after, int limit) {
    return delegate.listGroups(after, limit);
  }

  @Override
  public void requestChat(String user) {
    delegate.requestChat(user);
  }

  @Override
  public void respondChat(String user, boolean accept) {
    delegate.respondChat(user, accept);
  }

  @Override
  public void publishKeys(byte[] bundle) {
    delegate.publishKeys(bundle);
  }

  @Override
  public Optional<byte[]> fetchKeys(String user) {
    return delegate.fetchKeys(user);
  }

  @Override
  public void deleteAccount() {
    delegate.deleteAccount();
  }

  @Override
  public void logout() {
    delegate.logout();
  }
}
