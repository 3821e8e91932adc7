package spartan.client;

import spartan.core.service.ForwardingChatService;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Session;

/**
 * A server that can go away and come back, in-process: while down every call fails with {@code
 * UNAVAILABLE} and live event streams end with that error, as a remote connector reports a lost
 * server. The core (and its inboxes) stays up, so what is sent meanwhile waits there.
 */
final class Outage {
  private final ChatService core;
  private volatile boolean down;
  private final List<Cut> streams = new CopyOnWriteArrayList<>();
  private final List<Session> sessions = new CopyOnWriteArrayList<>();

  Outage(ChatService core) {
    this.core = core;
  }

  /** A connector to the core through this outage. */
  ChatService connect() {
    return new ForwardingChatService(core) {
      @Override
      public spartan.core.AuthMode authMode() {
        check();
        return super.authMode();
      }

      @Override
      public Session login(String user, String password) {
        check();
        return wrap(super.login(user, password));
      }

      @Override
      public Session resume(String token) {
        check();
        return wrap(super.resume(token));
      }
    };
  }

  void goDown() {
    down = true;
    for (Cut c : streams) {
      c.cut();
    }
    streams.clear();
  }

  void comeBack() {
    down = false;
  }

  /** Comes back as a restarted server would without its sessions: tokens no longer resume. */
  void comeBackWithoutSessions() {
    for (Session s : sessions) {
      s.logout();
    }
    sessions.clear();
    down = false;
  }

  private void check() {
    if (down) {
      throw ChatException.unavailable("The server is unreachable.");
    }
  }

  private Session wrap(Session s) {
    sessions.add(s);
    return (Session)
        Proxy.newProxyInstance(
            Session.class.getClassLoader(),
            new Class<?>[] {Session.class},
            (proxy, method, args) -> {
              String name = method.getName();
              if (!name.equals("user") && !name.equals("token") && !name.equals("toString")) {
                check();
              }
              try {
                Object result = method.invoke(s, args);
                if (name.equals("events")) {
                  @SuppressWarnings("unchecked")
                  Flow.Publisher<ChatEvent> p = (Flow.Publisher<ChatEvent>) result;
                  return (Flow.Publisher<ChatEvent>)
                      sub -> {
                        Cut c = new Cut(sub);
                        streams.add(c);
                        p.subscribe(c);
                      };
                }
                return result;
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** Passes a stream through until the outage cuts it. */
  private static final class Cut implements Flow.Subscriber<ChatEvent> {
    private final Flow.Subscriber<? super ChatEvent> downstream;
    private volatile Flow.Subscription upstream;
    private volatile boolean cut;

    Cut(Flow.Subscriber<? super ChatEvent> downstream) {
      this.downstream = downstream;
    }

    void cut() {
      cut = true;
      Flow.Subscription s = upstream;
      if (s != null) {
        s.cancel();
      }
      downstream.onError(ChatException.unavailable("The server is unreachable."));
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      upstream = s;
      downstream.onSubscribe(s);
    }

    @Override
    public void onNext(ChatEvent item) {
      if (!cut) {
        downstream.onNext(item);
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!cut) {
        downstream.onError(t);
      }
    }

    @Override
    public void onComplete() {
      if (!cut) {
        downstream.onComplete();
      }
    }
  }
}
