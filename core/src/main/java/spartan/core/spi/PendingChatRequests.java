package spartan.core.spi;

import java.util.List;

/**
 * Pending chat requests, per target user, until answered or expired: where {@code requestChat}
 * records a request and {@code respondChat} finds it. Each node keeps its own in memory when it
 * runs alone; several nodes share one (on Redis) so a request made on one node can be answered
 * on another. At most a bounded number are kept per target (the oldest go first); requests
 * expire after a day. Thread-safe; a shared implementation may throw {@code
 * ChatException.unavailable} when it cannot reach its storage.
 */
public interface PendingChatRequests {

  /** Records a request from {@code from} to {@code to}; asking again moves it to the end. */
  void add(String from, String to);

  /** Removes the request from {@code from} to {@code to}; false if there was none live. */
  boolean remove(String from, String to);

  /** The users with a live request to {@code to}, oldest first. */
  List<String> pendingFor(String to);

  /** Forgets every request to {@code user}, and those from {@code user} this node can find. */
  void forget(String user);
}
