package spartan.core.service;

import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Session;

/**
 * The in-process binding as a client sees it: closing the client must not close the shared
 * core, which the suite owns.
 */
final class InProcessBinding implements ChatService {
  private final ChatService core;

  InProcessBinding(ChatService core) {
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
