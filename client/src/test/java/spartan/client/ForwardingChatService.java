package spartan.client;

import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Session;

/** Forwards to a shared core; closing it leaves the core running, as a remote connector would. */
class ForwardingChatService implements ChatService {
  final ChatService core;

  ForwardingChatService(ChatService core) {
    this.core = core;
  }

  @Override
  public AuthMode authMode() {
    return core.authMode();
  }

  @Override
  public void createAccount(String user, String password) {
    core.createAccount(user, password);
  }

  @Override
  public Session login(String user, String password) {
    return core.login(user, password);
  }

  @Override
  public Session resume(String token) {
    return core.resume(token);
  }

  @Override
  public void close() {}
}
