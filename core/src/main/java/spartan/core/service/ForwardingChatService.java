package spartan.core.service;

import java.net.InetAddress;
import java.util.Objects;
import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Session;

/**
 * A {@link ChatService} that forwards every call to another one but does not own it: {@link
 * #close()} leaves the target running, as closing a remote connector leaves the server running.
 * This is the in-process binding as a client sees it, for tests, tools and benchmarks that share
 * one service. Subclasses may override calls to inject behaviour. As thread-safe as the target.
 */
public class ForwardingChatService implements ChatService {
  /** The service calls are forwarded to; its owner closes it. */
  protected final ChatService target;

  public ForwardingChatService(ChatService target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  @Override
  public AuthMode authMode() {
    return target.authMode();
  }

  @Override
  public void createAccount(String user, String password) {
    target.createAccount(user, password);
  }

  @Override
  public Session login(String user, String password) {
    return target.login(user, password);
  }

  @Override
  public Session resume(String token) {
    return target.resume(token);
  }

  /**
   * Forwards to the target's view for {@code address}, so sign-ups and logins through it are
   * counted against that address. A subclass that overrides calls to inject behaviour should
   * override this too if its views must keep that behaviour.
   */
  @Override
  public ChatService forClient(InetAddress address) {
    ChatService view = target.forClient(address);
    return view == target ? this : new ForwardingChatService(view);
  }

  /** Does nothing: the target belongs to whoever built it. */
  @Override
  public void close() {}
}
