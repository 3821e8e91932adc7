package spartan.transport.grpc;

import java.util.ArrayList;
import java.util.List;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupMember;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.proto.v1.ChatProto;

/** Group values and membership events between the core and {@code chat.proto}, both ways. */
final class GroupWire {
  private GroupWire() {}

  static ChatProto.GroupRole role(GroupRole r) {
    return switch (r) {
      case MEMBER -> ChatProto.GroupRole.GROUP_ROLE_MEMBER;
      case ADMIN -> ChatProto.GroupRole.GROUP_ROLE_ADMIN;
      case OWNER -> ChatProto.GroupRole.GROUP_ROLE_OWNER;
    };
  }

  /** The core role, or {@code INVALID_ARGUMENT} for an unset or unknown one. */
  static GroupRole role(ChatProto.GroupRole r) {
    return switch (r) {
      case GROUP_ROLE_MEMBER -> GroupRole.MEMBER;
      case GROUP_ROLE_ADMIN -> GroupRole.ADMIN;
      case GROUP_ROLE_OWNER -> GroupRole.OWNER;
      default -> throw ChatException.invalid("role must be member, admin or owner");
    };
  }

  /** A policy from its two flags; {@code INVALID_ARGUMENT} for shared history in a private group. */
  static GroupPolicy policy(boolean open, boolean sharedHistory) {
    return new GroupPolicy(open, sharedHistory);
  }

  static ChatProto.GroupInfo info(GroupInfo g) {
    ChatProto.GroupInfo.Builder b =
        ChatProto.GroupInfo.newBuilder()
            .setGroup(g.group())
            .setRole(role(g.role()))
            .setOpen(g.policy().open())
            .setSharedHistory(g.policy().sharedHistory());
    for (GroupMember m : g.roster()) {
      b.addRoster(ChatProto.GroupMember.newBuilder().setUser(m.user()).setRole(role(m.role())));
    }
    return b.build();
  }

  static GroupInfo info(ChatProto.GroupInfo g) {
    List<GroupMember> roster = new ArrayList<>(g.getRosterCount());
    for (ChatProto.GroupMember m : g.getRosterList()) {
      roster.add(new GroupMember(m.getUser(), known(m.getRole())));
    }
    return new GroupInfo(
        g.getGroup(),
        known(g.getRole()),
        g.getOpen() ? new GroupPolicy(true, g.getSharedHistory()) : GroupPolicy.PRIVATE,
        roster);
  }

  static ChatProto.GroupInvite invite(GroupInvite i) {
    return ChatProto.GroupInvite.newBuilder()
        .setGroup(i.group())
        .setBy(i.by())
        .setAt(ProtoMapping.timestamp(i.at()))
        .build();
  }

  static GroupInvite invite(ChatProto.GroupInvite i) {
    return new GroupInvite(i.getGroup(), i.getBy(), ProtoMapping.instant(i.getAt()));
  }

  /** A server's role in a reply: unknown ones read as member, the least privilege. */
  private static GroupRole known(ChatProto.GroupRole r) {
    return switch (r) {
      case GROUP_ROLE_ADMIN -> GroupRole.ADMIN;
      case GROUP_ROLE_OWNER -> GroupRole.OWNER;
      default -> GroupRole.MEMBER;
    };
  }

  static void event(ChatEvent.GroupEvent e, ChatProto.Event.Builder b) {
    if (e instanceof ChatEvent.GroupInvited i) {
      b.setGroupInvited(ChatProto.GroupInvited.newBuilder().setGroup(i.group()).setBy(i.by()));
    } else if (e instanceof ChatEvent.MemberJoined j) {
      ChatProto.MemberJoined.Builder m =
          ChatProto.MemberJoined.newBuilder().setGroup(j.group()).setUser(j.user());
      if (j.invitedBy() != null) {
        m.setInvitedBy(j.invitedBy());
      }
      b.setMemberJoined(m);
    } else if (e instanceof ChatEvent.MemberLeft l) {
      b.setMemberLeft(ChatProto.MemberLeft.newBuilder().setGroup(l.group()).setUser(l.user()));
    } else if (e instanceof ChatEvent.MemberRemoved r) {
      b.setMemberRemoved(
          ChatProto.MemberRemoved.newBuilder()
              .setGroup(r.group())
              .setUser(r.user())
              .setBy(r.by()));
    } else if (e instanceof ChatEvent.RoleChanged c) {
      ChatProto.RoleChanged.Builder m =
          ChatProto.RoleChanged.newBuilder()
              .setGroup(c.group())
              .setUser(c.user())
              .setRole(role(c.role()));
      if (c.by() != null) {
        m.setBy(c.by());
      }
      b.setRoleChanged(m);
    } else if (e instanceof ChatEvent.PolicyChanged p) {
      b.setPolicyChanged(
          ChatProto.PolicyChanged.newBuilder()
              .setGroup(p.group())
              .setOpen(p.policy().open())
              .setSharedHistory(p.policy().sharedHistory())
              .setBy(p.by()));
    } else {
      throw new IllegalArgumentException("unknown group event " + e);
    }
  }

  /** The core event for a group event on the wire, or null if {@code e} is none. */
  static ChatEvent eventOrNull(ChatProto.Event e) {
    return switch (e.getKindCase()) {
      case GROUP_INVITED ->
          new ChatEvent.GroupInvited(e.getGroupInvited().getGroup(), e.getGroupInvited().getBy());
      case MEMBER_JOINED -> {
        ChatProto.MemberJoined j = e.getMemberJoined();
        yield new ChatEvent.MemberJoined(
            j.getGroup(), j.getUser(), j.hasInvitedBy() ? j.getInvitedBy() : null);
      }
      case MEMBER_LEFT ->
          new ChatEvent.MemberLeft(e.getMemberLeft().getGroup(), e.getMemberLeft().getUser());
      case MEMBER_REMOVED ->
          new ChatEvent.MemberRemoved(
              e.getMemberRemoved().getGroup(),
              e.getMemberRemoved().getUser(),
              e.getMemberRemoved().getBy());
      case ROLE_CHANGED -> {
        ChatProto.RoleChanged c = e.getRoleChanged();
        yield new ChatEvent.RoleChanged(
            c.getGroup(), c.getUser(), known(c.getRole()), c.hasBy() ? c.getBy() : null);
      }
      case POLICY_CHANGED -> {
        ChatProto.PolicyChanged p = e.getPolicyChanged();
        yield new ChatEvent.PolicyChanged(
            p.getGroup(),
            p.getOpen() ? new GroupPolicy(true, p.getSharedHistory()) : GroupPolicy.PRIVATE,
            p.getBy());
      }
      default -> null;
    };
  }
}
