package spartan.transport.socket.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import spartan.core.ChatException;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Session;
import spartan.transport.socket.wire.Fields;
import spartan.transport.socket.wire.GroupLines;
import spartan.transport.socket.wire.Op;

/** The server's group ops: each runs against the connection's session; stateless. */
final class GroupOps {
  private GroupOps() {}

  /** Runs a group op; returns the reply's fields, written into {@code out}. */
  static ObjectNode run(Op op, Fields f, Session session, ObjectNode out) {
    switch (op) {
      case CREATE_GROUP -> {
        List<String> members = f.has("members") ? bounded(f.strings("members")) : List.of();
        session.createGroup(f.string("group"), members, policy(f));
      }
      case INVITE -> session.invite(f.string("group"), bounded(f.strings("users")));
      case JOIN_GROUP -> session.joinGroup(f.string("group"));
      case DECLINE_INVITE -> session.declineInvite(f.string("group"));
      case LEAVE_GROUP -> session.leaveGroup(f.string("group"));
      case REMOVE_MEMBER -> session.removeMember(f.string("group"), f.string("user"));
      case SET_ROLE ->
          session.setRole(f.string("group"), f.string("user"), GroupRole.parse(f.string("role")));
      case SET_GROUP_POLICY -> {
        if (!f.has("public")) {
          throw ChatException.invalid("field 'public' is required");
        }
        session.setGroupPolicy(f.string("group"), policy(f));
      }
      case LIST_GROUPS -> {
        String after = f.optString("after");
        int limit = f.optInt("limit", Operations.DEFAULT_PAGE);
        GroupLines.groups(out, session.listGroups(after, limit));
        GroupLines.invitations(out, session.invitations());
      }
      case GROUP_INFO -> GroupLines.info(out, session.groupInfo(f.string("group")));
      default -> throw new IllegalStateException("not a group op: " + op);
    }
    return out;
  }

  private static List<String> bounded(List<String> users) {
    if (users.size() > Limits.MAX_INVITES_PER_CALL) {
      throw ChatException.invalid("at most " + Limits.MAX_INVITES_PER_CALL + " users per call");
    }
    return users;
  }

  private static GroupPolicy policy(Fields f) {
    return new GroupPolicy(f.optBoolean("public", false), f.optBoolean("sharedHistory", false));
  }
}
