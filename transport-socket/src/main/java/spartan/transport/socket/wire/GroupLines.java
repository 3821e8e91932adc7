package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupMember;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Page;

/**
 * The group replies and events of the socket wire, both ways: the server writes them (the ops
 * themselves run in the server's {@code GroupOps}), the connector reads them. The field names are
 * the public contract in {@code PROTOCOL.md}.
 */
public final class GroupLines {
  private GroupLines() {}

  /** The {@code invitations} array of a {@code list_groups} reply. */
  public static ObjectNode invitations(ObjectNode out, List<GroupInvite> invitations) {
    ArrayNode invites = out.putArray("invitations");
    for (GroupInvite i : invitations) {
      invites.addObject().put("group", i.group()).put("by", i.by()).put("ts", i.at().toEpochMilli());
    }
    return out;
  }

  public static ObjectNode info(ObjectNode out, GroupInfo g) {
    out.put("group", g.group());
    out.put("role", g.role().wireName());
    out.put("public", g.policy().open());
    out.put("sharedHistory", g.policy().sharedHistory());
    ArrayNode members = out.putArray("members");
    for (GroupMember m : g.roster()) {
      members.addObject().put("user", m.user()).put("role", m.role().wireName());
    }
    return out;
  }

  public static ObjectNode groups(ObjectNode out, Page<GroupInfo> page) {
    ArrayNode items = out.putArray("groups");
    for (GroupInfo g : page.items()) {
      info(items.addObject(), g);
    }
    if (page.next() != null) {
      out.put("next", page.next());
    }
    return out;
  }

  /** A group event's line, or null if {@code e} is not one. */
  public static ObjectNode event(ChatEvent e, ObjectNode out) {
    if (e instanceof ChatEvent.GroupInvited i) {
      return out.put("event", "group_invite").put("group", i.group()).put("by", i.by());
    } else if (e instanceof ChatEvent.MemberJoined j) {
      out.put("event", "member_joined").put("group", j.group()).put("user", j.user());
      if (j.invitedBy() != null) {
        out.put("invitedBy", j.invitedBy());
      }
      return out;
    } else if (e instanceof ChatEvent.MemberLeft l) {
      return out.put("event", "member_left").put("group", l.group()).put("user", l.user());
    } else if (e instanceof ChatEvent.MemberRemoved r) {
      return out.put("event", "member_removed")
          .put("group", r.group())
          .put("user", r.user())
          .put("by", r.by());
    } else if (e instanceof ChatEvent.RoleChanged c) {
      out.put("event", "role_changed")
          .put("group", c.group())
          .put("user", c.user())
          .put("role", c.role().wireName());
      if (c.by() != null) {
        out.put("by", c.by());
      }
      return out;
    } else if (e instanceof ChatEvent.PolicyChanged p) {
      return out.put("event", "policy_changed")
          .put("group", p.group())
          .put("public", p.policy().open())
          .put("sharedHistory", p.policy().sharedHistory())
          .put("by", p.by());
    }
    return null;
  }

  // ---- the connector side (reading a trusted server; a bad reply is INTERNAL) -------------------

  public static ChatEvent eventFrom(String kind, JsonNode n) {
    return switch (kind) {
      case "group_invite" -> new ChatEvent.GroupInvited(text(n, "group"), text(n, "by"));
      case "member_joined" ->
          new ChatEvent.MemberJoined(text(n, "group"), text(n, "user"), optText(n, "invitedBy"));
      case "member_left" -> new ChatEvent.MemberLeft(text(n, "group"), text(n, "user"));
      case "member_removed" ->
          new ChatEvent.MemberRemoved(text(n, "group"), text(n, "user"), text(n, "by"));
      case "role_changed" ->
          new ChatEvent.RoleChanged(
              text(n, "group"), text(n, "user"), role(n), optText(n, "by"));
      case "policy_changed" ->
          new ChatEvent.PolicyChanged(text(n, "group"), policyFrom(n), text(n, "by"));
      default -> null;
    };
  }

  /** A policy as a trusted server states it; shared history counts only for a public group. */
  private static GroupPolicy policyFrom(JsonNode g) {
    boolean open = g.path("public").asBoolean(false);
    return open
        ? new GroupPolicy(true, g.path("sharedHistory").asBoolean(false))
        : GroupPolicy.PRIVATE;
  }

  public static GroupInfo infoFrom(JsonNode g) {
    List<GroupMember> roster = new ArrayList<>();
    for (JsonNode m : g.path("members")) {
      roster.add(new GroupMember(text(m, "user"), role(m)));
    }
    return new GroupInfo(text(g, "group"), role(g), policyFrom(g), roster);
  }

  public static Page<GroupInfo> groupsFrom(JsonNode reply) {
    List<GroupInfo> items = new ArrayList<>();
    for (JsonNode g : reply.path("groups")) {
      items.add(infoFrom(g));
    }
    return new Page<>(items, reply.hasNonNull("next") ? reply.get("next").asText() : null);
  }

  public static List<GroupInvite> invitationsFrom(JsonNode reply) {
    List<GroupInvite> out = new ArrayList<>();
    for (JsonNode i : reply.path("invitations")) {
      out.add(
          new GroupInvite(
              text(i, "group"), text(i, "by"), Instant.ofEpochMilli(i.path("ts").asLong())));
    }
    return out;
  }

  /** A role from a trusted reply; one this connector does not know reads as member. */
  private static GroupRole role(JsonNode n) {
    try {
      return GroupRole.parse(n.path("role").asText(""));
    } catch (ChatException unknown) {
      return GroupRole.MEMBER;
    }
  }

  private static String optText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isTextual() ? null : v.textValue();
  }

  private static String text(JsonNode n, String field) {
    String s = optText(n, field);
    if (s == null) {
      throw new ChatException(ErrorCode.INTERNAL, "malformed reply from server: no '" + field + "'");
    }
    return s;
  }
}
