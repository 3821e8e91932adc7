package spartan.core.spi;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import spartan.core.ChatEvent;

/**
 * How one node's chat service reaches the other nodes that share its store: it says where its
 * users have live event streams (presence), tells the nodes holding a recipient's streams that
 * an inbox grew, and carries live-only events (chat requests, group events) to a user's streams
 * on other nodes. {@link #SINGLE} is the bus of a node alone, which tells nobody;
 * {@code spartan.core.cluster.RedisNodeBus} is the one for several nodes on one Redis.
 *
 * <p>The service calls {@link #attach} once, when it is built, handing over the {@link Node} by
 * which the bus reaches the service's own sessions; the bus's owner starts it (and waits for its
 * subscription) before the transports accept clients, and closes it after the service.
 *
 * <p>Threads: implementations are thread-safe. {@link #streamOpened} may block for one Redis
 * round trip (it runs on a transport's blocking executor, before the stream reads its inbox);
 * every other method only enqueues and never blocks. A bus whose Redis is unreachable does not
 * throw: the node keeps serving its own sessions and catches up when Redis returns.
 */
public interface NodeBus extends AutoCloseable {

  /** A node alone: there are no other nodes to tell. */
  NodeBus SINGLE =
      new NodeBus() {
        @Override
        public void attach(Node node) {}

        @Override
        public void streamOpened(String user) {}

        @Override
        public void streamClosed(String user) {}

        @Override
        public void stored(List<String> users, List<Long> seqs) {}

        @Override
        public void tell(Collection<String> users, ChatEvent event) {}

        @Override
        public void accountDeleted(String user) {}

        @Override
        public Set<String> onlineElsewhere(Collection<String> users) {
          return Set.of();
        }

        @Override
        public void close() {}
      };

  /** Hands the bus the service it serves; called once, before any other method. */
  void attach(Node node);

  /**
   * {@code user} opened a live event stream on this node. Returns once the other nodes can see
   * it (or Redis is unreachable, in which case the bus records it when Redis returns), so every
   * inbox entry stored after this returns is notified here; the caller reads the inbox after.
   */
  void streamOpened(String user);

  /** A live event stream of {@code user} on this node ended. Never blocks. */
  void streamClosed(String user);

  /**
   * This node stored inbox entries: {@code users.get(i)}'s inbox now holds {@code seqs.get(i)}.
   * Tells the other nodes holding streams of those users. Never blocks.
   */
  void stored(List<String> users, List<Long> seqs);

  /**
   * As {@link #stored(List, List)}, with what the store already knows of where the users are:
   * {@code liveOn}, when not null, maps some of {@code users} to the nodes holding their live
   * streams as their entries were inserted (this node and dead nodes may be among them). A bus
   * that keeps presence where that store read it may skip its own look-up for those users; the
   * others are looked up as usual. By default the hint is ignored. Never blocks.
   */
  default void stored(List<String> users, List<Long> seqs, Map<String, Set<String>> liveOn) {
    stored(users, seqs);
  }

  /**
   * Tells the live streams of {@code users} on the other nodes about {@code event} (never a
   * {@link ChatEvent.MessageReceived}: messages travel through the store); the caller pushes it
   * to this node's streams itself. Finds the nodes holding those streams now, in one Redis round
   * trip on the calling thread (so a stream opened after this returns does not get the event),
   * and queues the publishing. A live-only event is lost if Redis is unreachable.
   */
  void tell(Collection<String> users, ChatEvent event);

  /** {@code user}'s account was deleted here: the other nodes end its sessions. Never blocks. */
  void accountDeleted(String user);

  /**
   * Those of {@code users} with a live stream on another live node. One Redis round trip; empty
   * if Redis is unreachable.
   */
  Set<String> onlineElsewhere(Collection<String> users);

  /**
   * Where pending chat requests are kept when the bus shares them between nodes; empty if each
   * node keeps its own (one node).
   */
  default Optional<PendingChatRequests> sharedRequests() {
    return Optional.empty();
  }

  /** Stops listening and releases the connections. The service is not closed. */
  @Override
  void close();

  /**
   * The service as its bus sees it: the local half of every cross-node operation. Implemented by
   * the service; every method is thread-safe and never blocks.
   */
  interface Node {
    /** Another node stored entries: the inbox of each key holds entries up to its value. */
    void storedUpTo(Map<String, Long> tips);

    /** Another node told {@code user} about {@code event}: push it to the local streams. */
    void tell(String user, ChatEvent event);

    /** Another node deleted {@code user}'s account: end the local sessions. */
    void accountDeleted(String user);

    /**
     * News may have been missed (the subscription was lost, a publisher overflowed): every
     * local stream re-reads its inbox from its cursor.
     */
    void recheck();

    /** The users with a live stream here now. */
    Set<String> users();

    /**
     * The shared data was lost (Redis restarted empty): end every local session with an
     * {@code UNAVAILABLE} error carrying {@code reason} (for Redis losing its data, {@link
     * spartan.core.ChatException#DATA_RESET}, which clients recognise), so clients log in again.
     */
    void reset(String reason);
  }
}
