package spartan.client;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiPredicate;
import spartan.core.ChatEvent;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupMember;
import spartan.core.GroupRole;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.Session;

/**
 * The group commands of both chat mode and the menu — create, invite, join, decline, leave,
 * kick, admin, members, groups — and what the client does with membership events: print them
 * and keep the group names for completion current.
 */
final class GroupCommands {
  static final List<String> NAMES =
      List.of(
          "/group", "/groups", "/invite", "/join", "/decline", "/leave", "/kick", "/admin",
          "/members");

  static final String HELP =
      String.join(
          "\n",
          "  /group create <g> [u..]  create a group and invite these users",
          "  /invite <g> <user>...    invite users to a group (owners and admins)",
          "  /join <g>                accept an invitation (or join a public group)",
          "  /decline <g>             decline an invitation",
          "  /leave <g>               leave a group",
          "  /kick <g> <user>         remove a member (owners and admins)",
          "  /admin <g> <user>        make a member an admin",
          "  /members <g>             the members of a group and their roles",
          "  /groups                  your groups and pending invitations");

  private static final String MENU =
      String.join(
          "\n",
          "[Spartan] Groups:",
          "  1. Create a group (and invite people)",
          "  2. Join a group (accept an invitation)",
          "  3. Leave a group",
          "  4. List my groups and invitations",
          "  5. Send to a group",
          "  6. Invite people to a group",
          "  7. Decline an invitation",
          "  8. Remove a member",
          "  9. Make a member an admin",
          "  10. Show a group's members",
          "  0. Back");

  private final ReplState state;
  private final Connection connection;
  private final Printer printer;
  private final Commands.Questions questions;
  /** Sends a message as a plain line would; false if nothing was sent. */
  private final BiPredicate<Recipient, String> send;

  GroupCommands(
      ReplState state,
      Connection connection,
      Printer printer,
      Commands.Questions questions,
      BiPredicate<Recipient, String> send) {
    this.state = state;
    this.connection = connection;
    this.printer = printer;
    this.questions = questions;
    this.send = send;
  }

  private Printer out() {
    return printer;
  }

  private Session session() {
    return connection.session();
  }

  /** Whether {@code cmd} is one of these commands. */
  static boolean handles(String cmd) {
    return NAMES.contains(cmd);
  }

  /** Runs a group command; the caller checked that the user is logged in. */
  void slash(String cmd, String[] w) {
    switch (cmd) {
      case "/group" -> group(w);
      case "/groups" -> list();
      case "/invite" -> {
        if (w.length < 3) {
          out().hint("Usage: /invite <group> <user>...");
        } else {
          invite(w[1], Arrays.asList(w).subList(2, w.length));
        }
      }
      case "/join", "/decline", "/leave", "/members" -> {
        if (w.length != 2) {
          out().hint("Usage: " + cmd + " <group>");
        } else if (cmd.equals("/join")) {
          join(w[1]);
        } else if (cmd.equals("/decline")) {
          decline(w[1]);
        } else if (cmd.equals("/leave")) {
          leave(w[1]);
        } else {
          members(w[1]);
        }
      }
      case "/kick", "/admin" -> {
        if (w.length != 3) {
          out().hint("Usage: " + cmd + " <group> <user>");
        } else if (cmd.equals("/kick")) {
          kick(w[1], w[2]);
        } else {
          admin(w[1], w[2]);
        }
      }
      default -> out().hint("Unknown command " + cmd + ". Type /help for the list.");
    }
  }

  private void group(String[] w) {
    if (w.length < 3) {
      out().hint("Usage: /group create <group> [user]... | /group join|leave <group>");
      return;
    }
    switch (w[1].toLowerCase(Locale.ROOT)) {
      case "create" -> create(w[2], Arrays.asList(w).subList(3, w.length));
      case "join" -> join(w[2]);
      case "leave" -> leave(w[2]);
      default -> out().hint("Usage: /group create|join|leave <group> ...");
    }
  }

  /** The group menu (menu choice 6). */
  void menu() {
    out().line(MENU);
    String line = questions.ask("Choose 0-10");
    if (line == null) {
      return;
    }
    switch (line) {
      case "1" -> {
        String g = ask("Group name");
        String users = g == null ? null : questions.ask("Invite (user names separated by spaces)");
        if (users != null) {
          create(g, users.isBlank() ? List.of() : Arrays.asList(users.strip().split("[\\s,]+")));
        }
      }
      case "2" -> ifGiven(ask("Group to join"), this::join);
      case "3" -> ifGiven(ask("Group to leave"), this::leave);
      case "4" -> list();
      case "5" -> {
        String g = ask("Group");
        String text = g == null ? null : questions.ask("Message");
        if (text != null && !text.isEmpty() && send.test(Recipient.group(g), text)) {
          out().info("Sent.");
        }
      }
      case "6" -> {
        String g = ask("Group");
        String users = g == null ? null : ask("Invite (user names separated by spaces)");
        if (users != null) {
          invite(g, Arrays.asList(users.split("[\\s,]+")));
        }
      }
      case "7" -> ifGiven(ask("Invitation to decline (group)"), this::decline);
      case "8", "9" -> {
        String g = ask("Group");
        String u = g == null ? null : ask("Member");
        if (u != null) {
          if (line.equals("8")) {
            kick(g, u);
          } else {
            admin(g, u);
          }
        }
      }
      case "10" -> ifGiven(ask("Group"), this::members);
      case "0" -> {}
      default -> out().hint("Please enter a number from 0 to 10.");
    }
  }

  private String ask(String question) {
    String a = questions.ask(question);
    return a == null || a.isBlank() ? null : a.strip();
  }

  private static void ifGiven(String value, java.util.function.Consumer<String> action) {
    if (value != null) {
      action.accept(value);
    }
  }

  // ---- actions ----------------------------------------------------------------------------------

  private void create(String group, List<String> invitees) {
    session().createGroup(group, invitees);
    String name = Recipient.group(group).name();
    remember(name);
    out().info(
        "Group "
            + name
            + " created"
            + (invitees.isEmpty() ? "." : "; invited " + String.join(",", invitees) + "."));
  }

  private void invite(String group, List<String> users) {
    session().invite(group, users);
    out().info("Invited " + String.join(",", users) + " to " + Recipient.group(group).name() + ".");
  }

  private void join(String group) {
    session().joinGroup(group);
    String name = Recipient.group(group).name();
    remember(name);
    out().info("You joined group " + name + ".");
  }

  private void decline(String group) {
    session().declineInvite(group);
    out().info("You declined the invitation to " + Recipient.group(group).name() + ".");
  }

  private void leave(String group) {
    session().leaveGroup(group);
    String name = Recipient.group(group).name();
    state.forgetGroup(name);
    out().info("You left group " + name + ".");
  }

  private void kick(String group, String user) {
    session().removeMember(group, user);
    out().info("Removed " + Recipient.user(user).name() + " from " + Recipient.group(group).name() + ".");
  }

  private void admin(String group, String user) {
    session().setRole(group, user, GroupRole.ADMIN);
    out().info(
        Recipient.user(user).name() + " is now an admin of " + Recipient.group(group).name() + ".");
  }

  private void members(String group) {
    GroupInfo g = session().groupInfo(group);
    StringBuilder sb = new StringBuilder("Members of " + g.group() + ": ");
    for (int i = 0; i < g.roster().size(); i++) {
      GroupMember m = g.roster().get(i);
      sb.append(i == 0 ? "" : ", ").append(m.user());
      if (m.role() != GroupRole.MEMBER) {
        sb.append(" (").append(m.role().wireName()).append(')');
      }
    }
    out().info(sb.append(g.policy().open() ? ". Public." : ".").toString());
  }

  /** Lists the user's groups with their role, then pending invitations. */
  void list() {
    Page<GroupInfo> page = session().listGroups(null, Commands.LIST_LIMIT);
    List<GroupInvite> invites = session().invitations();
    if (page.items().isEmpty() && invites.isEmpty()) {
      out().info("You are in no groups.");
      return;
    }
    state.forgetGroups();
    for (GroupInfo g : page.items()) {
      remember(g.group());
      out().info(
          "Group " + g.group() + " (" + g.role().wireName() + "): " + String.join(",", g.members()));
    }
    for (GroupInvite i : invites) {
      out().info(i.by() + " invited you to " + i.group() + ": /join " + i.group() + " or /decline " + i.group() + ".");
    }
  }

  /** After login: group names for completion. Pending invitations arrive as events. */
  void refresh() {
    state.forgetGroups();
    for (GroupInfo g : session().listGroups(null, Commands.LIST_LIMIT).items()) {
      remember(g.group());
    }
  }

  private void remember(String group) {
    state.rememberGroup(group);
  }

  // ---- events -----------------------------------------------------------------------------------

  /** Prints a membership event and keeps the completion names current. */
  void onEvent(ChatEvent.GroupEvent e, String me) {
    if (e instanceof ChatEvent.GroupInvited i) {
      remember(i.group());
      out().info(
          i.by() + " invites you to " + i.group() + ". Type /join " + i.group()
              + " to accept or /decline " + i.group() + ".");
    } else if (e instanceof ChatEvent.MemberJoined j) {
      if (j.user().equals(me)) {
        return; // "You joined group …" was printed by the command
      }
      out().info(
          j.user() + " joined " + j.group()
              + (j.invitedBy() == null ? "" : " (invited by " + j.invitedBy() + ")"));
    } else if (e instanceof ChatEvent.MemberLeft l) {
      out().info(l.user() + " left " + l.group());
    } else if (e instanceof ChatEvent.MemberRemoved r) {
      if (r.user().equals(me)) {
        state.forgetGroup(r.group());
        out().info(r.by() + " removed you from " + r.group());
      } else {
        out().info(r.by() + " removed " + r.user() + " from " + r.group());
      }
    } else if (e instanceof ChatEvent.RoleChanged c) {
      String who = c.user().equals(me) ? "you" : c.user();
      String what = c.role() == GroupRole.MEMBER ? "a member" : "an " + c.role().wireName();
      out().info(
          (c.by() == null ? who + (who.equals("you") ? " are" : " is") + " now " + what
                  : c.by() + " made " + who + " " + what)
              + " of " + c.group());
    } else if (e instanceof ChatEvent.PolicyChanged p) {
      String by = p.by().equals(me) ? "you" : p.by();
      out().info(
          by + " made " + p.group() + " "
              + (!p.policy().open() ? "invite-only"
                  : p.policy().sharedHistory()
                      ? "public (new members can read history from now on)"
                      : "public"));
    }
  }
}
