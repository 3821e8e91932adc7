package spartan.core.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import spartan.core.AuthMode;
import spartan.core.ChatService;
import spartan.core.Session;

/**
 * One client view of several nodes: each login lands on the next node in turn (as behind a
 * round-robin load balancer), so consecutive logins of a test sit on different nodes, and a
 * token resumes on the node that issued it. Sign-ups go round too. Thread-safe.
 */
public final class AlternatingChatService implements ChatService {
  private final List<ChatService> nodes;
  private final AtomicInteger next = new AtomicInteger();
  private final Map<String, ChatService> byToken = new ConcurrentHashMap<>();

  public AlternatingChatService(List<? extends ChatService> nodes) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no nodes");
    }
    this.nodes = List.copyOf(nodes);
  }

  private ChatService pick() {
    return nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size()));
  }

  @Override
  public AuthMode authMode() {
    return nodes.get(0).authMode();
  }

  @Override
  public void createAccount(String user, String password) {
    pick().createAccount(user, password);
  }

  @Override
  public Session login(String user, String password) {
    ChatService node = pick();
    Session s = node.login(user, password);
    byToken.put(s.token(), node);
    return s;
  }

  @Override
  public Session resume(String token) {
    return byToken.getOrDefault(token, nodes.get(0)).resume(token);
  }

  @Override
  public void close() {
    for (ChatService n : nodes) {
      n.close();
    }
  }
}
