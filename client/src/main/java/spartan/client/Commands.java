package spartan.client;

import java.util.ArrayList;
import java.util.List;
import spartan.core.Account;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.Page;
import spartan.core.Recipient;

/**
 * The slash commands of chat mode, the actions of the numbered menu, and what plain lines do
 * (start a chat, answer a request, send): everything ends up here. A command's effect on the
 * REPL is a named change of {@link ReplState}; its effect on the server goes through the {@link
 * Connection}. Runs on the REPL thread only.
 */
final class Commands {
  static final int MENU_MAX = 10;
  static final int LIST_LIMIT = 100;
  static final int DEFAULT_HISTORY = 20;
  static final int USER_LIST_LIMIT = 1000;

  static final List<String> NAMES =
      java.util.stream.Stream.concat(
              List.of(
                  "/chat", "/g", "/list", "/history", "/undelivered", "/yes", "/no",
                  "/fingerprint", "/accept-key", "/delete-account", "/logout", "/quit", "/help",
                  "/menu")
                  .stream(),
              GroupCommands.NAMES.stream())
          .toList();

  private static final String HELP =
      String.join(
          "\n",
          "[Spartan] Commands:",
          "  /chat <user>             chat with a user (/chat #team: with a group)",
          "  /yes, /no                answer the latest chat request",
          "  /g <group> <text>        send to a group",
          GroupCommands.HELP,
          "  /list [pattern]          accounts matching a pattern (* and ?)",
          "  /history <user|#g> [n]   the last n messages with a user or group",
          "  /undelivered             messages still waiting for you",
          "  /fingerprint <user>      fingerprints and safety number, to compare with user",
          "  /accept-key <user>       trust user's new encryption key (after comparing)",
          "  /delete-account          delete your account (asks first)",
          "  /logout, /quit, /menu, /help",
          "  //text                   send text that starts with a slash");

  private static final String MENU =
      String.join(
          "\n",
          "[Spartan] Menu:",
          "  1. Create account",
          "  2. Log in",
          "  3. Send a message",
          "  4. Deliver undelivered messages",
          "  5. List accounts",
          "  6. Groups",
          "  7. History",
          "  8. Delete account",
          "  9. Log out",
          "  10. Chat",
          "  0. Quit");

  /** How a command asks the person something; the REPL's line reader answers. */
  interface Questions {
    /** Asks a question and returns the stripped answer; null on Ctrl-C. */
    String ask(String question);

    /** Asks for a secret, not echoed and kept out of the history; null on Ctrl-C. */
    String askSecret(String question);
  }

  private final ReplState state;
  private final Connection connection;
  private final Printer printer;
  private final Messenger messenger;
  private final Encryption encryption;
  private final Questions questions;
  final GroupCommands groups;

  Commands(
      ReplState state,
      Connection connection,
      Printer printer,
      Messenger messenger,
      Encryption encryption,
      Questions questions) {
    this.state = state;
    this.connection = connection;
    this.printer = printer;
    this.messenger = messenger;
    this.encryption = encryption;
    this.questions = questions;
    this.groups = new GroupCommands(state, connection, printer, questions, this::send);
  }

  private Printer out() {
    return printer;
  }

  // ---- slash commands ---------------------------------------------------------------------------

  void slash(String line) {
    String[] w = line.strip().split("\\s+");
    String cmd = w[0].toLowerCase(java.util.Locale.ROOT);
    switch (cmd) {
      case "/help" -> out().line(HELP);
      case "/menu" -> {
        state.toMenu();
        showMenu();
      }
      case "/quit", "/exit" -> quit();
      case "/logout" -> logout();
      case "/chat" -> {
        if (w.length != 2) {
          out().hint("Usage: /chat <user>");
        } else if (loggedIn()) {
          startChat(w[1]);
        }
      }
      case "/yes" -> {
        String from = state.latestRequest();
        if (from == null) {
          out().noPendingRequest();
        } else if (loggedIn()) {
          accept(from);
        }
      }
      case "/no" -> {
        String from = state.latestRequest();
        if (from == null) {
          out().noPendingRequest();
        } else if (loggedIn()) {
          decline(from);
          out().declined(from);
        }
      }
      case "/g" -> {
        String[] parts = line.strip().split("\\s+", 3);
        if (parts.length < 3) {
          out().hint("Usage: /g <group> <message>");
        } else if (loggedIn()) {
          send(Recipient.group(parts[1]), parts[2]);
        }
      }
      case "/group", "/groups", "/invite", "/join", "/decline", "/leave", "/kick", "/admin",
          "/members" -> {
        if (loggedIn()) {
          groups.slash(cmd, w);
        }
      }
      case "/list" -> {
        if (w.length > 2) {
          out().hint("Usage: /list [pattern]");
        } else if (loggedIn()) {
          listAccounts(w.length == 2 ? w[1] : "*");
        }
      }
      case "/history" -> {
        if (w.length < 2 || w.length > 3) {
          out().hint("Usage: /history <user|#group> [count]");
        } else if (loggedIn()) {
          Integer n = w.length == 3 ? count(w[2]) : Integer.valueOf(DEFAULT_HISTORY);
          if (n != null) {
            history(w[1], n);
          }
        }
      }
      case "/undelivered" -> {
        if (loggedIn()) {
          undelivered();
        }
      }
      case "/fingerprint", "/accept-key" -> {
        if (w.length != 2) {
          out().hint("Usage: " + cmd + " <user>");
        } else if (loggedIn()) {
          if (cmd.equals("/fingerprint")) {
            encryption.fingerprint(w[1]);
          } else {
            encryption.acceptKey(w[1]);
          }
        }
      }
      case "/delete-account" -> {
        if (loggedIn()) {
          deleteAccount();
        }
      }
      default -> out().hint("Unknown command " + w[0] + ". Type /help for the list.");
    }
  }

  // ---- the menu ---------------------------------------------------------------------------------

  void showMenu() {
    out().line(MENU);
  }

  void menuChoice(String line) {
    int choice;
    try {
      choice = Integer.parseInt(line);
    } catch (NumberFormatException e) {
      choice = -1;
    }
    switch (choice) {
      case 1 -> createAccount();
      case 2 -> menuLogin();
      case 3 -> {
        if (loggedIn()) {
          menuSend();
        }
      }
      case 4 -> {
        if (loggedIn()) {
          undelivered();
        }
      }
      case 5 -> {
        if (loggedIn()) {
          String pattern = questions.ask("Pattern (* and ? are wildcards; empty for all)");
          if (pattern != null) {
            listAccounts(pattern.isEmpty() ? "*" : pattern);
          }
        }
      }
      case 6 -> {
        if (loggedIn()) {
          groups.menu();
        }
      }
      case 7 -> {
        if (loggedIn()) {
          String with = questions.ask("History with (user, or #group)");
          if (with != null && !with.isEmpty()) {
            history(with, DEFAULT_HISTORY);
          }
        }
      }
      case 8 -> {
        if (loggedIn()) {
          deleteAccount();
        }
      }
      case 9 -> logout();
      case 10 -> {
        if (loggedIn()) {
          state.resumeChat();
          out().hint("Chat mode: type /menu to come back here, /help for commands.");
        }
      }
      case 0 -> quit();
      default -> out().hint("Please enter a number from 0 to " + MENU_MAX + ".");
    }
  }

  private void createAccount() {
    String name = questions.ask("New user name");
    if (name == null || name.isEmpty()) {
      return;
    }
    String pass = null;
    if (connection.service().authMode() == AuthMode.PASSWORD) {
      pass = questions.askSecret("Password (" + Limits.MIN_PASSWORD + "+ characters)");
      if (pass == null) {
        return;
      }
    }
    connection.service().createAccount(name, pass);
    out().info("Account " + Recipient.user(name).name() + " created. Choose 2 to log in.");
  }

  private void menuLogin() {
    String name = questions.ask("User name");
    if (name == null || name.isEmpty()) {
      return;
    }
    login(name, true);
  }

  private void menuSend() {
    String to = questions.ask("To (user, or #group)");
    if (to == null || to.isEmpty()) {
      return;
    }
    Recipient r = to.startsWith("#") ? Recipient.group(to.substring(1)) : Recipient.user(to);
    String text = questions.ask("Message");
    if (text == null || text.isEmpty()) {
      out().hint("Nothing sent.");
      return;
    }
    if (send(r, text)) {
      out().info("Sent.");
    }
  }

  // ---- actions shared by both ------------------------------------------------------------------

  private boolean loggedIn() {
    if (!connection.loggedIn()) {
      out().notLoggedIn();
      return false;
    }
    return true;
  }

  private void listAccounts(String pattern) {
    Page<Account> page = connection.session().listAccounts(pattern, null, LIST_LIMIT);
    if (page.items().isEmpty()) {
      out().info("No accounts match " + pattern + ".");
      return;
    }
    StringBuilder sb = new StringBuilder("Accounts: ");
    for (int i = 0; i < page.items().size(); i++) {
      Account a = page.items().get(i);
      sb.append(i == 0 ? "" : ",").append(a.user()).append(a.online() ? " (online)" : "");
    }
    if (page.next() != null) {
      sb.append(" … and more; narrow the pattern.");
    }
    out().info(sb.toString());
  }

  private void history(String with, int n) {
    Recipient r = with.startsWith("#") ? Recipient.group(with.substring(1)) : Recipient.user(with);
    List<Message> msgs = connection.session().history(r, 0, n);
    if (msgs.isEmpty()) {
      out().info("No messages with " + r.name() + " yet.");
      return;
    }
    out().info("Last " + msgs.size() + " message(s) with " + r.name() + ":");
    for (Message m : msgs) {
      out().line(messenger.history(m));
    }
  }

  private Integer count(String s) {
    try {
      int n = Integer.parseInt(s);
      if (n >= 1 && n <= Limits.MAX_HISTORY) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the hint
    }
    out().hint("Count must be a number from 1 to " + Limits.MAX_HISTORY + ".");
    return null;
  }

  private void undelivered() {
    int n = connection.deliverUndelivered();
    if (n == 0) {
      out().info("No undelivered messages.");
    }
  }

  private void deleteAccount() {
    String user = connection.user();
    String answer = questions.ask("Delete account " + user + " and all its messages? Type 'yes' to confirm");
    if (!"yes".equalsIgnoreCase(answer)) {
      out().info("Not deleted.");
      return;
    }
    connection.session().deleteAccount();
    connection.forget();
    state.ended();
    out().info("Account " + user + " deleted.");
    showMenu();
  }

  private void logout() {
    if (!connection.loggedIn()) {
      out().notLoggedIn();
      return;
    }
    connection.logout();
    state.ended();
    out().loggedOut();
    showMenu();
  }

  /** Logs out if logged in, then ends the loop. */
  void quit() {
    if (connection.loggedIn()) {
      connection.logout();
      out().loggedOut();
    }
    out().bye();
    state.quit();
  }

  // ---- chats ------------------------------------------------------------------------------------

  /** A line typed at the answer prompt for {@code from}'s chat request. */
  void answer(String from, String line) {
    if (line.isEmpty()) {
      out().hint("Enter 'yes' to chat with " + from + ", or the name of another user.");
      return;
    }
    if (line.startsWith("/")) {
      slash(line);
      return;
    }
    if (line.equalsIgnoreCase("yes") || line.equalsIgnoreCase(from)) {
      accept(from);
    } else {
      String other = new Recipient.User(line).name();
      startChat(other);
      // Only once the other chat is set up is the requester told no.
      Recipient peer = state.peer();
      if (peer != null && peer.name().equals(other)) {
        decline(from);
      }
    }
  }

  /** Accepts {@code from}'s request and chats with them. */
  void accept(String from) {
    state.answered(from);
    connection.session().respondChat(from, true);
    state.chatWith(Recipient.user(from));
    out().readyToChat(from);
  }

  void decline(String from) {
    state.answered(from);
    try {
      connection.session().respondChat(from, false);
    } catch (ChatException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        throw e;
      }
    }
  }

  /** Starts chatting with a user ({@code #name} for a group): asks them, or accepts their ask. */
  void startChat(String who) {
    if (who.startsWith("#")) {
      Recipient g = Recipient.group(who.substring(1));
      state.chatWith(g);
      out().readyToChat(g.name());
      return;
    }
    String name = new Recipient.User(who).name();
    if (state.hasRequestFrom(name)) {
      accept(name);
      return;
    }
    connection.session().requestChat(name);
    state.chatWith(Recipient.user(name));
    out().readyToChat(name);
  }

  /** Sends (sealed when possible, see {@link Messenger#send}); false if nothing was sent. */
  boolean send(Recipient to, String text) {
    if (to == null) {
      out().hint("Choose whom to chat with first: /chat <user>.");
      return false;
    }
    return messenger.send(
            connection.session(),
            to,
            text,
            question -> "yes".equalsIgnoreCase(questions.ask(question)))
        != null;
  }

  /** Logs in (asking for a password when the server wants one) and greets; false on failure. */
  boolean login(String user, boolean announce) {
    try {
      String pass = null;
      if (connection.service().authMode() == AuthMode.PASSWORD) {
        pass = questions.askSecret("Password for " + user);
        if (pass == null) {
          return false;
        }
      }
      if (connection.loggedIn()) {
        connection.logout();
      }
      state.newLogin();
      connection.login(user, pass);
      encryption.start(connection.user());
      out().userList(refreshUsers());
      groups.refresh();
      if (announce) {
        out().loggedIn(connection.user());
      }
      connection.startEvents(); // last, so what waited shows below the greeting
      return true;
    } catch (ChatException e) {
      out().error(e); // e.g. wrong password: not the "log in first" hint error() would give
      return false;
    }
  }

  /** Every other account, in the order the server lists them; refreshes completion names. */
  private List<String> refreshUsers() {
    Page<Account> page = connection.session().listAccounts("*", null, USER_LIST_LIMIT);
    List<String> others = new ArrayList<>();
    for (Account a : page.items()) {
      if (!a.user().equals(connection.user())) {
        others.add(a.user());
      }
    }
    state.users(others);
    return others;
  }

  /** Commands that take a group name next; the rest take user names. */
  static boolean takesGroup(String cmd, String sub) {
    return cmd.equals("/g")
        || (GroupCommands.handles(cmd) && !cmd.equals("/group") && !cmd.equals("/groups"))
        || (cmd.equals("/group") && ("join".equals(sub) || "leave".equals(sub)));
  }

}
