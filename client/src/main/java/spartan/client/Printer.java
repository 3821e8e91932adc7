package spartan.client;

import java.util.List;
import java.util.Locale;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import spartan.core.ChatException;
import spartan.core.crypto.Fingerprint;

/**
 * Every line the client shows, in one place, so the product's wording lives here and tests can
 * assert it exactly. Lines printed while the person is typing go above the prompt ({@link
 * LineReader#printAbove}) so their input is not corrupted. Thread-safe: event threads and the REPL
 * thread print concurrently.
 *
 * <p>Names, bodies and error messages come from the network, so nothing reaches the terminal
 * without passing {@link TerminalText}: {@link #line} cleans every line it prints, {@link #info}
 * keeps a {@code [Spartan]} line one line whatever it quotes, and prompts (which jline reads as
 * patterns) quote {@code %}.
 */
final class Printer {
  static final String TAG = "[Spartan] ";

  private final Terminal terminal;
  private volatile LineReader reader;

  Printer(Terminal terminal) {
    this.terminal = terminal;
  }

  void attach(LineReader reader) {
    this.reader = reader;
  }

  /**
   * Prints the client's own text, above the prompt if a line is being read. Its {@code \n} start
   * new lines; any other control character shows as a stand-in, and lines wider than the terminal
   * continue on rows marked {@link TerminalText#CONTINUATION} ({@link TerminalText#forScreen}).
   */
  synchronized void line(String text) {
    String shown = TerminalText.forScreen(text, terminal.getWidth());
    LineReader r = reader;
    if (r != null) {
      r.printAbove(shown);
    } else {
      terminal.writer().println(shown);
      terminal.writer().flush();
    }
  }

  /** A {@code [Spartan]} line; a line break in {@code text} shows as ␊, never as a new line. */
  void info(String text) {
    line(TAG + TerminalText.clean(text));
  }

  // ---- prompts ----------------------------------------------------------------------------------

  static String choosePeerPrompt() {
    return TAG + "Enter a user whom you want to chat with: ";
  }

  static String answerPrompt(String from) {
    return TAG + quoted(from)
        + " is requesting to chat with you. Enter 'yes' to accept or different user: ";
  }

  static String chatPrompt(String user) {
    return "[" + quoted(user) + "] > ";
  }

  static String menuPrompt(int max) {
    return TAG + "Choose 0-" + max + ": ";
  }

  static String ask(String question) {
    return TAG + quoted(question) + ": ";
  }

  /**
   * {@code s} for a prompt: cleaned to one line, and {@code %} doubled, because jline expands
   * {@code %} sequences in prompts ({@code %{…%}} would pass raw escape sequences through).
   */
  private static String quoted(String s) {
    return TerminalText.clean(s).replace("%", "%%");
  }

  // ---- connection and session -------------------------------------------------------------------

  void connected(int port) {
    info("Connected to Spartan Server at port " + port + ".");
  }

  void cannotReach(int port) {
    info("Cannot reach the Spartan server at port " + port + ". Is it running?");
  }

  /** None of several addresses (or one named address) answered. */
  void cannotReach(List<String> addresses) {
    if (addresses.size() == 1) {
      info("Cannot reach the Spartan server at " + addresses.get(0) + ". Is it running?");
    } else {
      info("Cannot reach a Spartan server at " + String.join(", ", addresses) + ". Is one running?");
    }
  }

  void userList(List<String> users) {
    info("User list: " + String.join(",", users));
  }

  void loggedIn(String user) {
    info("Logged in as " + user + ".");
  }

  void loggedOut() {
    info("Logged out.");
  }

  void bye() {
    info("Bye.");
  }

  /** {@code lost} null: the server's address is not known to the client. */
  void lostConnection(String lost) {
    info("Lost connection to " + (lost == null ? "the server" : lost) + "; reconnecting…");
  }

  void noServerAnswers(List<String> tried) {
    info("No server answers (tried " + String.join(", ", tried) + "); still trying."
        + " /quit or Ctrl-D to give up.");
  }

  void notDoneUnreachable() {
    info("Not done: the server is unreachable; reconnecting…");
  }

  /**
   * The session is back on {@code now}. After {@link #lostConnection} a short line; a reconnect
   * quick enough to skip that says both in one line. Null addresses are unknown to the client.
   */
  void reconnected(String lost, String now, boolean lossShown) {
    String to = now == null || now.equals(lost) ? "" : " to " + now;
    if (lossShown) {
      info("Reconnected" + to + ".");
    } else {
      info("Lost connection to " + (lost == null ? "the server" : lost) + "; reconnected" + to + ".");
    }
  }

  /** The servers' data was reset and the session logged in again on {@code now}. */
  void dataReset(String now) {
    info("The server's data was reset; logged in again" + (now == null ? "" : " on " + now)
        + ". Messages not delivered before the reset are lost.");
  }

  void sessionEnded(String why) {
    info("Your session ended: " + sentence(why) + " Log in again from the menu (/menu).");
  }

  void notLoggedIn() {
    info("You are not logged in. Use /menu to log in.");
  }

  // ---- chat handshake ---------------------------------------------------------------------------

  void readyToChat(String peer) {
    info("You are now ready to chat with " + peer + ".");
  }

  void requestAnswered(String from, boolean accepted) {
    info(from + (accepted ? " accepted" : " declined") + " your chat request.");
  }

  /** A chat request that arrives while the person is busy (in a chat or the menu). */
  void requestWhileBusy(String from) {
    info(from + " is requesting to chat with you. Enter '/yes' to accept or '/no' to decline.");
  }

  void declined(String from) {
    info("Declined " + from + "'s chat request.");
  }

  void noPendingRequest() {
    info("Nobody is waiting for an answer.");
  }

  // ---- end-to-end encryption ------------------------------------------------------------------

  void keyChanged(String user) {
    info("WARNING: " + user + "'s encryption key has changed. Someone may be impersonating "
        + user + ", or " + user + " has a new device or lost the key file. Messages to and from "
        + user + " are refused until you compare fingerprints (/fingerprint " + user
        + "), then /accept-key " + user + ".");
  }

  /** Why a send to {@code user} (or a group with them) was refused. */
  static String notSentKeyChanged(String user) {
    return "Not sent: " + user + "'s encryption key has changed. Compare fingerprints"
        + " (/fingerprint " + user + "), then /accept-key " + user + ".";
  }

  /** Why a message from {@code user} is not shown: follows "could not be opened: ". */
  static String keyChangedReason(String user) {
    return user + "'s encryption key has changed; compare fingerprints (/fingerprint " + user
        + "), then /accept-key " + user;
  }

  static String unavailableQuestion() {
    return "Encryption is unavailable (your key files cannot be used); send as plain text?"
        + " (yes/no)";
  }

  void ownFingerprint(String me, Fingerprint mine) {
    info("Your fingerprint (" + me + "): " + mine + ".");
  }

  void fingerprints(
      String user, Fingerprint theirs, String me, Fingerprint mine, Fingerprint safety) {
    info("Fingerprint of " + user + ": " + theirs + ".");
    ownFingerprint(me, mine);
    info("Safety number with " + user + ": " + safety + ".");
    info("Compare it with " + user + " over another channel; it must be the same.");
  }

  void changedFingerprints(
      String user, Fingerprint pinned, Fingerprint published, Fingerprint newSafety) {
    info("Pinned fingerprint of " + user + ": " + pinned + ".");
    info("NEW fingerprint of " + user + ": " + published + ".");
    info("New safety number with " + user + ": " + newSafety + ".");
    info("If it matches what " + user + " sees, type /accept-key " + user + ".");
  }

  void keyAccepted(String user, boolean replaced, Fingerprint fingerprint) {
    info((replaced ? "Accepted the new key of " : "Pinned the key of ") + user
        + " (fingerprint " + fingerprint + ").");
  }

  void noKeys(String user) {
    info(user + " has published no encryption keys.");
  }

  void encryptionOff() {
    info("Encryption is off in this client (--no-e2e).");
  }

  void encryptionUnavailable() {
    info("Encryption is unavailable: your key files cannot be used.");
  }

  void keyFilesUnusable(String why) {
    info("Encryption is unavailable: " + sentence(why) + " Messages will ask before going out as"
        + " plain text.");
  }

  void publishFailed(String why) {
    info("Could not publish your encryption keys: " + sentence(why));
  }

  /** In place of a sealed message that cannot be shown; never any of its text. */
  static String notOpened(String from, String why) {
    String w = why == null || why.isBlank() ? "unknown reason" : TerminalText.clean(why.strip());
    return TAG + "A message from " + TerminalText.clean(from) + " could not be opened: " + w
        + (w.endsWith(".") ? "" : ".");
  }

  static String noKeysQuestion(List<String> users) {
    return String.join(", ", users) + (users.size() == 1 ? " has" : " have")
        + " no encryption keys; send as plain text? (yes/no)";
  }

  /** Before the first message sealed for a group member (this login): who, and their key. */
  void newGroupReader(String group, String user, Fingerprint fingerprint, boolean firstSeen) {
    info("Messages to " + group + " are now also sealed for " + user + " (fingerprint "
        + fingerprint + (firstSeen ? "; first time you see this key" : "")
        + "). Compare it with " + user + ": /fingerprint " + user);
  }

  /** The first message from a group member whose key was never seen: pinned, and shown. */
  void newGroupSender(String group, String user, Fingerprint fingerprint) {
    info("First message from " + user + " in " + group + "; their key is now pinned (fingerprint "
        + fingerprint + "). Compare it with " + user + ": /fingerprint " + user);
  }

  // ---- errors and hints -------------------------------------------------------------------------

  void error(ChatException e) {
    info(sentence(e.getMessage()));
  }

  void hint(String text) {
    info(text);
  }

  /** Capitalised and ending with punctuation, so server messages read as sentences. */
  static String sentence(String s) {
    if (s == null || s.isBlank()) {
      return "Something went wrong.";
    }
    String t = s.strip();
    t = t.substring(0, 1).toUpperCase(Locale.ROOT) + t.substring(1);
    char last = t.charAt(t.length() - 1);
    return last == '.' || last == '!' || last == '?' || last == '…' ? t : t + ".";
  }
}
