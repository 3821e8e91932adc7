package spartan.core.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupMember;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Names;
import spartan.core.Page;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStore.GroupRecord;
import spartan.core.store.ChatStore.MemberRecord;

/**
 * Group membership for the in-process service: who may do what to a group, and who is told. The
 * sessions delegate their group calls here; the store keeps the data and the bounds that need a
 * transaction (group size with invitations, invitations per user).
 *
 * <p>Rules: the creator is the owner. Owners and admins invite and set the policy; admins remove
 * members and make members admins; only owners remove or demote admins, and make or demote
 * owners. The last owner can neither leave nor step down while others remain. Membership events
 * go live to every member's streams (see {@link ChatEvent}); invitations also wait in the store.
 *
 * <p>Thread-safe. A change's permission check and its write run under the group's lock, so
 * concurrent changes to one group act as if one after the other: two owners stepping down or
 * leaving at once cannot both pass the last-owner check, and someone removed or demoted a moment
 * earlier cannot still invite or remove. An account deletion takes every group's lock, so its
 * ownership hand-over sees no change half done. The locks are this node's: a store shared by
 * several nodes would need the checks in its transactions.
 */
final class Groups {
  /** Lock stripes: group names hash onto them; enough that unrelated groups rarely contend. */
  private static final int STRIPES = 64;

  private final LocalChatService service;
  private final ChatStore store;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

  Groups(LocalChatService service) {
    this.service = service;
    this.store = service.store;
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /** Runs {@code change} holding {@code group}'s lock (its name normalised). */
  private <T> T locked(String group, Supplier<T> change) {
    ReentrantLock lock = locks[Math.floorMod(group.hashCode(), STRIPES)];
    lock.lock();
    try {
      return change.get();
    } finally {
      lock.unlock();
    }
  }

  private void locked(String group, Runnable change) {
    locked(
        group,
        () -> {
          change.run();
          return null;
        });
  }

  void create(String caller, String group, Collection<String> invitees, GroupPolicy policy) {
    String name = Names.group(group);
    if (policy == null) {
      throw ChatException.invalid("policy is required");
    }
    List<String> users = users(caller, invitees, true);
    int max = service.limits.maxGroupMembers();
    if (users.size() > max - 1) {
      throw ChatException.invalid("a group may have at most " + max + " members");
    }
    for (String u : users) {
      requireUser(u); // before creating, so a typo creates nothing
    }
    charge(caller, users.size());
    // Under the lock, so no one joins a new public group before its invitations are in: the
    // roll-back below must find the creator alone, or it would leave a group without an owner.
    locked(
        name,
        () -> {
          store.createGroup(name, caller, policy, service.clock.instant());
          if (!users.isEmpty()) {
            try {
              sendInvites(caller, name, users);
            } catch (RuntimeException e) {
              store.removeMember(name, caller); // the group's only member: this deletes it
              throw e;
            }
          }
        });
  }

  void invite(String caller, String group, Collection<String> invitees) {
    String name = Names.group(group);
    locked(
        name,
        () -> {
          requireManager(requireGroup(name), caller, "invite");
          List<String> users = users(caller, invitees, false);
          charge(caller, users.size());
          sendInvites(caller, name, users);
        });
  }

  private void sendInvites(String caller, String group, List<String> users) {
    List<String> fresh =
        store.invite(
            group, users, caller, service.clock.instant(), service.limits.maxGroupMembers());
    service.pushControl(fresh, new ChatEvent.GroupInvited(group, caller));
  }

  /** Normalised, de-duplicated invitees, bounded; the caller is left out. */
  private List<String> users(String caller, Collection<String> invitees, boolean mayBeEmpty) {
    if (invitees == null) {
      throw ChatException.invalid("users are required");
    }
    int max = Math.min(Limits.MAX_INVITES_PER_CALL, service.limits.maxGroupMembers());
    if (invitees.size() > max * 2) {
      throw ChatException.invalid("at most " + max + " users per invitation");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String u : invitees) {
      String n = Names.user(u);
      if (!n.equals(caller)) {
        out.add(n);
      }
    }
    if (out.size() > max) {
      throw ChatException.invalid("at most " + max + " users per invitation");
    }
    if (out.isEmpty() && !mayBeEmpty) {
      throw ChatException.invalid("name at least one user to invite");
    }
    return new ArrayList<>(out);
  }

  void join(String caller, String group) {
    String name = Names.group(group);
    locked(name, () -> joinLocked(caller, name));
  }

  private void joinLocked(String caller, String name) {
    GroupRecord g = requireGroup(name);
    if (g.member(caller) != null) {
      store.deleteInvite(name, caller);
      return;
    }
    GroupInvite invitation = null;
    for (GroupInvite i : store.invitesOf(caller)) {
      if (i.group().equals(name)) {
        invitation = i;
      }
    }
    if (invitation == null && !g.policy().open()) {
      throw ChatException.denied(
          "Group " + name + " is invite-only; ask an owner or admin to invite you.");
    }
    charge(caller, g.roster().size());
    long since = g.policy().sharedHistory() ? ChatStore.SHARED : ChatStore.NOW;
    // The store checks the size in the join's own transaction, so racing joins cannot overfill.
    if (store.addMember(name, caller, GroupRole.MEMBER, since, service.limits.maxGroupMembers())) {
      String by = invitation == null ? null : invitation.by();
      tell(name, new ChatEvent.MemberJoined(name, caller, by));
    }
  }

  void decline(String caller, String group) {
    String name = Names.group(group);
    if (!store.deleteInvite(name, caller)) {
      throw ChatException.notFound("No invitation to group " + name + ".");
    }
  }

  void leave(String caller, String group) {
    String name = Names.group(group);
    locked(name, () -> leaveLocked(caller, name));
  }

  private void leaveLocked(String caller, String name) {
    GroupRecord g = requireGroup(name);
    MemberRecord me = g.member(caller);
    if (me == null) {
      throw ChatException.notFound("You are not a member of group " + name + ".");
    }
    if (lastOwnerWithOthers(g, caller)) {
      throw ChatException.denied(
          "You are the last owner of "
              + name
              + "; make another member owner first (or remove everyone, then leave).");
    }
    charge(caller, g.roster().size() - 1);
    if (store.removeMember(name, caller)) {
      tell(name, new ChatEvent.MemberLeft(name, caller));
    }
  }

  void remove(String caller, String group, String target) {
    String name = Names.group(group);
    String who = Names.user(target);
    if (who.equals(caller)) {
      throw ChatException.invalid("To leave a group, use leave_group.");
    }
    locked(name, () -> removeLocked(caller, name, who));
  }

  private void removeLocked(String caller, String name, String who) {
    GroupRecord g = requireGroup(name);
    MemberRecord actor = requireManager(g, caller, "remove members");
    MemberRecord victim = g.member(who);
    if (victim == null) {
      // Withdraws a pending invitation: it holds a place in the group, and invitations do not
      // expire, so without this an unanswered one would take that place for good.
      if (store.deleteInvite(name, who)) {
        return;
      }
      throw ChatException.notFound(who + " is not a member of group " + name + ".");
    }
    if (victim.role() != GroupRole.MEMBER && actor.role() != GroupRole.OWNER) {
      throw ChatException.denied("Only an owner can remove an admin or owner.");
    }
    charge(caller, g.roster().size() - 1);
    ChatEvent e = new ChatEvent.MemberRemoved(name, who, caller);
    if (store.removeMember(name, who)) {
      service.pushControl(List.of(who), e);
      tell(name, e);
    }
  }

  void setRole(String caller, String group, String target, GroupRole role) {
    String name = Names.group(group);
    String who = Names.user(target);
    if (role == null) {
      throw ChatException.invalid("role is required");
    }
    locked(name, () -> setRoleLocked(caller, name, who, role));
  }

  private void setRoleLocked(String caller, String name, String who, GroupRole role) {
    GroupRecord g = requireGroup(name);
    MemberRecord actor = requireManager(g, caller, "change roles");
    MemberRecord subject = g.member(who);
    if (subject == null) {
      throw ChatException.notFound(who + " is not a member of group " + name + ".");
    }
    if (subject.role() == role) {
      return;
    }
    boolean adminMayDo = subject.role() == GroupRole.MEMBER && role == GroupRole.ADMIN;
    if (actor.role() != GroupRole.OWNER && !adminMayDo) {
      throw ChatException.denied(
          "Only an owner can demote an admin or make or demote an owner; admins make admins.");
    }
    // Even alone: a group whose only member stepped down would have no one left to manage it.
    if (subject.role() == GroupRole.OWNER && onlyOwner(g, who)) {
      throw ChatException.denied(
          "Group " + name + " needs an owner; make another member owner first.");
    }
    charge(caller, g.roster().size() - 1);
    if (store.setRole(name, who, role)) {
      tell(name, new ChatEvent.RoleChanged(name, who, role, caller));
    }
  }

  void setPolicy(String caller, String group, GroupPolicy policy) {
    String name = Names.group(group);
    if (policy == null) {
      throw ChatException.invalid("policy is required");
    }
    locked(
        name,
        () -> {
          GroupRecord g = requireGroup(name);
          requireManager(g, caller, "change the policy");
          if (g.policy().equals(policy)) {
            return;
          }
          charge(caller, g.roster().size() - 1);
          store.setPolicy(name, policy);
          tell(name, new ChatEvent.PolicyChanged(name, policy, caller));
        });
  }

  /**
   * A page of the caller's groups with their rosters. The page ends early, with a cursor, once
   * the rosters listed reach {@link #PAGE_MEMBERS_FACTOR} times {@code maxGroupMembers}, and the
   * store is read a few groups at a time: a user in a thousand full groups would otherwise make
   * one call load and answer a million roster entries (tens of megabytes).
   */
  Page<GroupInfo> list(String caller, String after, int limit) {
    String cursor = after == null || after.isEmpty() ? null : Names.group(after);
    long budget = (long) PAGE_MEMBERS_FACTOR * service.limits.maxGroupMembers();
    List<GroupInfo> out = new ArrayList<>();
    long listed = 0;
    boolean more = false;
    read:
    while (true) {
      List<GroupRecord> chunk = store.groupsOf(caller, cursor, LIST_CHUNK);
      for (GroupRecord g : chunk) {
        if (out.size() == limit || listed >= budget) {
          more = true;
          break read;
        }
        MemberRecord me = g.member(caller);
        if (me != null) {
          out.add(info(g, me));
          listed += g.roster().size();
        }
        cursor = g.group();
      }
      if (chunk.size() < LIST_CHUNK) {
        break;
      }
    }
    return new Page<>(out, more ? cursor : null);
  }

  /** A page of groups lists at most about this many times {@code maxGroupMembers} members. */
  static final int PAGE_MEMBERS_FACTOR = 10;

  /** Groups read from the store at a time while listing. */
  private static final int LIST_CHUNK = 16;

  List<GroupInvite> invitations(String caller) {
    List<GroupInvite> all = store.invitesOf(caller);
    return all.size() > Limits.MAX_PENDING_INVITES
        ? List.copyOf(all.subList(0, Limits.MAX_PENDING_INVITES))
        : all;
  }

  GroupInfo info(String caller, String group) {
    GroupRecord g = requireGroup(Names.group(group));
    return info(g, requireMember(g, caller));
  }

  /**
   * Charges a membership change by the users it notifies against the fan-out budget that group
   * messages draw from, so joining and leaving a big public group in a loop, or inviting crowds,
   * cannot flood other users' screens faster than messages could.
   */
  private void charge(String caller, int told) {
    if (service.fanout != null && told > 0) {
      var d = service.fanout.tryAcquire(caller, told);
      if (!d.allowed()) {
        throw ChatException.rateLimited(d.retryAfter());
      }
    }
  }

  /** Tells the live sessions of the group's current members. */
  private void tell(String group, ChatEvent e) {
    store
        .findGroup(group)
        .ifPresent(
            g -> service.pushControl(g.members(), e));
  }

  /**
   * Deletes {@code caller}'s account in the store and tells each of its groups: the user left,
   * and where they were the last owner, who is owner now. Holds every group's lock (in stripe
   * order, so it cannot deadlock with another deletion), so no group change interleaves with the
   * hand-over.
   */
  void deleteAccount(String caller) {
    Runnable tell;
    for (ReentrantLock lock : locks) {
      lock.lock();
    }
    try {
      tell = beforeDelete(caller);
      store.deleteAccount(caller);
      tell.run();
    } finally {
      for (int i = locks.length - 1; i >= 0; i--) {
        locks[i].unlock();
      }
    }
  }

  /**
   * The events an account deletion causes, computed before the store deletes it: the user leaves
   * each group, and where they were the last owner the successor becomes owner.
   */
  private Runnable beforeDelete(String caller) {
    List<Runnable> after = new ArrayList<>();
    String from = null;
    while (true) {
      List<GroupRecord> page = store.groupsOf(caller, from, Limits.MAX_PAGE);
      for (GroupRecord g : page) {
        String heir = g.successorOf(caller);
        after.add(
            () -> {
              tell(g.group(), new ChatEvent.MemberLeft(g.group(), caller));
              if (heir != null) {
                tell(g.group(), new ChatEvent.RoleChanged(g.group(), heir, GroupRole.OWNER, null));
              }
            });
      }
      if (page.size() < Limits.MAX_PAGE) {
        break;
      }
      from = page.get(page.size() - 1).group();
    }
    return () -> after.forEach(Runnable::run);
  }

  private GroupRecord requireGroup(String name) {
    return store
        .findGroup(name)
        .orElseThrow(() -> ChatException.notFound("No such group: " + name + "."));
  }

  private static MemberRecord requireMember(GroupRecord g, String caller) {
    MemberRecord me = g.member(caller);
    if (me == null) {
      throw ChatException.denied("You are not a member of group " + g.group() + ".");
    }
    return me;
  }

  private static MemberRecord requireManager(GroupRecord g, String caller, String what) {
    MemberRecord me = requireMember(g, caller);
    if (!me.role().manages()) {
      throw ChatException.denied("Only an owner or admin of " + g.group() + " can " + what + ".");
    }
    return me;
  }

  private static boolean lastOwnerWithOthers(GroupRecord g, String user) {
    return g.roster().size() >= 2 && onlyOwner(g, user);
  }

  /** Whether {@code user} is an owner of {@code g} and no one else is. */
  private static boolean onlyOwner(GroupRecord g, String user) {
    for (MemberRecord m : g.roster()) {
      if (m.role() == GroupRole.OWNER && !m.user().equals(user)) {
        return false;
      }
    }
    MemberRecord me = g.member(user);
    return me != null && me.role() == GroupRole.OWNER;
  }

  private void requireUser(String name) {
    if (store.findAccount(name).isEmpty()) {
      throw ChatException.notFound("No such user: " + name + ".");
    }
  }

  private static GroupInfo info(GroupRecord g, MemberRecord me) {
    List<GroupMember> roster = new ArrayList<>(g.roster().size());
    for (MemberRecord m : g.roster()) {
      roster.add(new GroupMember(m.user(), m.role()));
    }
    return new GroupInfo(g.group(), me.role(), g.policy(), roster);
  }
}
