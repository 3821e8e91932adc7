package spartan.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One system under test as the load generator sees it: the core over a transport, the core
 * in-process, or the bare Netty relay. Scenarios are written once against this and run over
 * every target the same way.
 *
 * <p>Thread-safe. Blocking methods throw {@link RuntimeException}s (a {@code ChatException} for
 * core targets); closing a target logs out its peers and stops an in-process server behind it.
 */
interface Target extends AutoCloseable {

  /** The binding's name as printed in tables: {@code netty}, {@code socket:embedded}, … (see {@link Binding}). */
  String name();

  /** Creates the accounts through the API (open auth); the relay has none and does nothing. */
  void createUsers(List<String> users);

  /**
   * Connects one client, logs {@code user} in and subscribes to its events; every message it
   * receives goes to {@code handler} on a transport thread, which must not block.
   */
  Peer login(String user, MessageHandler handler);

  /**
   * Like {@link #login(String, MessageHandler)}, on the node {@code side} says: with several
   * server nodes, senders are on the first and recipients on the last, so every message crosses
   * between nodes. On one node both sides are the same.
   */
  default Peer login(String user, MessageHandler handler, Side side) {
    return login(user, handler);
  }

  /** Server nodes behind this target: 1 unless {@code --nodes}. */
  default int nodes() {
    return 1;
  }

  /**
   * The shared Redis's counters now, when the target's store is Redis (so scenarios can report
   * Redis commands and CPU per message); null otherwise.
   */
  default RedisInfo redisInfo() {
    return null;
  }

  /**
   * The server's process figures, or null when they cannot be read (a remote server that is
   * not a {@code bench serve}). {@code gc} collects garbage first so heap figures mean live data.
   */
  ServerStats stats(boolean gc);

  /** Whether {@link #stats} comes from the generator's own process (server in-process). */
  boolean statsIncludeGenerator();

  @Override
  void close();

  /** Which node a peer logs in to when there are several. */
  enum Side {
    SENDER,
    RECIPIENT
  }

  /** A logged-in client. */
  interface Peer extends AutoCloseable {

    String user();

    /**
     * Sends {@code text} to a user, or to a group when {@code to} starts with {@code #}. The
     * future completes when the server accepted it (stored, for core targets; written to the
     * socket, for the relay). Never blocks on the server.
     */
    CompletableFuture<?> send(String to, String text);

    /** Creates a group of this user and invites {@code members}. Blocks until done. */
    void createGroup(String group, List<String> members);

    /** Accepts this user's invitation to {@code group}. Blocks until done. */
    void joinGroup(String group);

    /** Logs out and disconnects. Idempotent; never throws. */
    @Override
    void close();
  }

  /** Where a peer's received messages go. Called on a transport thread: it must not block. */
  @FunctionalInterface
  interface MessageHandler {
    /** {@code receivedNanos} is {@link System#nanoTime()} taken as the message arrived. */
    void onMessage(String from, String text, long receivedNanos);
  }
}
