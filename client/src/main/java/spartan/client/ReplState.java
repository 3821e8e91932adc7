package spartan.client;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import spartan.core.Recipient;

/**
 * What the REPL knows between two lines: the mode, whom plain lines go to, the chat requests
 * waiting for an answer, the names offered for completion, and whether the person quit. Every
 * command's effect on the REPL is one of the named changes below, so they can be read here rather
 * than traced through assignments spread over {@link Repl}, {@link Commands} and {@link
 * GroupCommands}.
 *
 * <p>Thread-safe: the REPL thread changes the mode and the peer; transport threads add chat
 * requests and group names as events arrive; any thread reads.
 */
final class ReplState {
  /** What a plain line means. */
  enum Mode {
    /** The numbered menu. */
    MENU,
    /** Choosing whom to chat with (or answering a chat request). */
    CHOOSE_PEER,
    /** Chatting with {@link #peer()}. */
    CHAT
  }

  private volatile Mode mode = Mode.MENU;
  private volatile Recipient peer;
  /** Users waiting for an answer to their chat request, oldest first. */
  private final ConcurrentLinkedDeque<String> pendingRequests = new ConcurrentLinkedDeque<>();
  /** Names for tab completion, refreshed on login and listings. */
  private final List<String> knownUsers = new CopyOnWriteArrayList<>();
  private final List<String> knownGroups = new CopyOnWriteArrayList<>();
  private volatile boolean quit;

  // ---- mode and peer ----------------------------------------------------------------------------

  Mode mode() {
    return mode;
  }

  /** Whom plain lines go to in chat mode; null before a chat was chosen. */
  Recipient peer() {
    return peer;
  }

  /** Plain lines now go to {@code to}. */
  void chatWith(Recipient to) {
    peer = to;
    mode = Mode.CHAT;
  }

  /** Plain lines now name whom to chat with. */
  void choosePeer() {
    mode = Mode.CHOOSE_PEER;
  }

  /** Back to the numbered menu; the peer is kept for menu choice 10. */
  void toMenu() {
    mode = Mode.MENU;
  }

  /** Menu choice 10: back to the last chat, or choosing one. */
  void resumeChat() {
    mode = peer == null ? Mode.CHOOSE_PEER : Mode.CHAT;
  }

  /** A new login: nothing of the previous user's conversation carries over. */
  void newLogin() {
    pendingRequests.clear();
    peer = null;
  }

  /** Logged out, or the account was deleted: the menu, with no peer and no requests. */
  void ended() {
    newLogin();
    mode = Mode.MENU;
  }

  // ---- chat requests ----------------------------------------------------------------------------

  /** {@code from} asks to chat; a repeated request moves to the back of the queue. */
  void requested(String from) {
    pendingRequests.remove(from);
    pendingRequests.addLast(from);
  }

  /** {@code from}'s request was answered (either way). */
  void answered(String from) {
    pendingRequests.remove(from);
  }

  /** The request waiting longest, which the choose prompt asks about; null if none. */
  String oldestRequest() {
    return pendingRequests.peekFirst();
  }

  /** The newest request, which {@code /yes} and {@code /no} answer; null if none. */
  String latestRequest() {
    return pendingRequests.peekLast();
  }

  boolean hasRequestFrom(String user) {
    return pendingRequests.contains(user);
  }

  // ---- names for completion --------------------------------------------------------------------

  /** Other users' names, as last listed. */
  List<String> users() {
    return knownUsers;
  }

  void users(List<String> names) {
    knownUsers.clear();
    knownUsers.addAll(names);
  }

  /** The user's groups and invitations, as last seen. */
  List<String> groups() {
    return knownGroups;
  }

  void forgetGroups() {
    knownGroups.clear();
  }

  void rememberGroup(String group) {
    if (!knownGroups.contains(group)) {
      knownGroups.add(group);
    }
  }

  void forgetGroup(String group) {
    knownGroups.remove(group);
  }

  // ---- the loop ---------------------------------------------------------------------------------

  /** Ends the loop after the current line. */
  void quit() {
    quit = true;
  }

  boolean quitting() {
    return quit;
  }
}
