package spartan.client;

import java.util.List;
import spartan.core.Account;
import spartan.core.AuthMode;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.Page;
import spartan.core.Recipient;

/** The slash commands of chat mode and the actions of the numbered menu; both end up here. */
final class Commands {
  static final int MENU_MAX = 10;
  static final int LIST_LIMIT = 100;
  static final int DEFAULT_HISTORY = 20;

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

  private final Repl repl;
  final GroupCommands groups;

  Commands(Repl repl) {
    this.repl = repl;
    this.groups = new GroupCommands(repl);
  }

  private Printer out() {
    return repl.printer;
  }

  // ---- slash commands ---------------------------------------------------------------------------

  void slash(String line) {
    String[] w = line.strip().split("\\s+");
    String cmd = w[0].toLowerCase(java.util.Locale.ROOT);
    switch (cmd) {
      case "/help" -> out().line(HELP);
      case "/menu" -> {
        repl.mode = Repl.Mode.MENU;
        showMenu();
      }
      case "/quit", "/exit" -> quit();
      case "/logout" -> logout();
      case "/chat" -> {
        if (w.length != 2) {
          out().hint("Usage: /chat <user>");
        } else if (loggedIn()) {
          repl.startChat(w[1]);
        }
      }
      case "/yes" -> {
        String from = repl.pendingRequests.peekLast();
        if (from == null) {
          out().noPendingRequest();
        } else if (loggedIn()) {
          repl.accept(from);
        }
      }
      case "/no" -> {
        String from = repl.pendingRequests.peekLast();
        if (from == null) {
          out().noPendingRequest();
        } else if (loggedIn()) {
          repl.decline(from);
          out().declined(from);
        }
      }
      case "/g" -> {
        String[] parts = line.strip().split("\\s+", 3);
        if (parts.length < 3) {
          out().hint("Usage: /g <group> <message>");
        } else if (loggedIn()) {
          repl.send(Recipient.group(parts[1]), parts[2]);
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
            repl.encryption.fingerprint(w[1]);
          } else {
            repl.encryption.acceptKey(w[1]);
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
          String pattern = repl.ask("Pattern (* and ? are wildcards; empty for all)");
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
          String with = repl.ask("History with (user, or #group)");
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
          repl.mode = repl.peer == null ? Repl.Mode.CHOOSE_PEER : Repl.Mode.CHAT;
          out().hint("Chat mode: type /menu to come back here, /help for commands.");
        }
      }
      case 0 -> quit();
      default -> out().hint("Please enter a number from 0 to " + MENU_MAX + ".");
    }
  }

  private void createAccount() {
    String name = repl.ask("New user name");
    if (name == null || name.isEmpty()) {
      return;
    }
    String pass = null;
    if (repl.connection.service().authMode() == AuthMode.PASSWORD) {
      pass = repl.askSecret("Password (" + Limits.MIN_PASSWORD + "+ characters)");
      if (pass == null) {
        return;
      }
    }
    repl.connection.service().createAccount(name, pass);
    out().info("Account " + Recipient.user(name).name() + " created. Choose 2 to log in.");
  }

  private void menuLogin() {
    String name = repl.ask("User name");
    if (name == null || name.isEmpty()) {
      return;
    }
    repl.login(name, true);
  }

  private void menuSend() {
    String to = repl.ask("To (user, or #group)");
    if (to == null || to.isEmpty()) {
      return;
    }
    Recipient r = to.startsWith("#") ? Recipient.group(to.substring(1)) : Recipient.user(to);
    String text = repl.ask("Message");
    if (text == null || text.isEmpty()) {
      out().hint("Nothing sent.");
      return;
    }
    if (repl.send(r, text)) {
      out().info("Sent.");
    }
  }

  // ---- actions shared by both ------------------------------------------------------------------

  private boolean loggedIn() {
    if (!repl.connection.loggedIn()) {
      out().notLoggedIn();
      return false;
    }
    return true;
  }

  private void listAccounts(String pattern) {
    Page<Account> page = repl.connection.session().listAccounts(pattern, null, LIST_LIMIT);
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
    List<Message> msgs = repl.connection.session().history(r, 0, n);
    if (msgs.isEmpty()) {
      out().info("No messages with " + r.name() + " yet.");
      return;
    }
    out().info("Last " + msgs.size() + " message(s) with " + r.name() + ":");
    for (Message m : msgs) {
      out().line(repl.messenger.history(m));
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
    int n = repl.connection.deliverUndelivered();
    if (n == 0) {
      out().info("No undelivered messages.");
    }
  }

  private void deleteAccount() {
    String user = repl.connection.user();
    String answer = repl.ask("Delete account " + user + " and all its messages? Type 'yes' to confirm");
    if (!"yes".equalsIgnoreCase(answer)) {
      out().info("Not deleted.");
      return;
    }
    repl.connection.session().deleteAccount();
    repl.connection.forget();
    repl.peer = null;
    repl.mode = Repl.Mode.MENU;
    out().info("Account " + user + " deleted.");
    showMenu();
  }

  private void logout() {
    if (!repl.connection.loggedIn()) {
      out().notLoggedIn();
      return;
    }
    repl.connection.logout();
    repl.peer = null;
    repl.pendingRequests.clear();
    repl.mode = Repl.Mode.MENU;
    out().loggedOut();
    showMenu();
  }

  /** Logs out if logged in, then ends the loop. */
  void quit() {
    if (repl.connection.loggedIn()) {
      repl.connection.logout();
      out().loggedOut();
    }
    out().bye();
    repl.quit();
  }

  /** Commands that take a group name next; the rest take user names. */
  static boolean takesGroup(String cmd, String sub) {
    return cmd.equals("/g")
        || (GroupCommands.handles(cmd) && !cmd.equals("/group") && !cmd.equals("/groups"))
        || (cmd.equals("/group") && ("join".equals(sub) || "leave".equals(sub)));
  }

}
