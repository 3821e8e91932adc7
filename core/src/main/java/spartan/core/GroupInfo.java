package spartan.core;

import java.util.List;
import java.util.Objects;

/**
 * A group as one of its members sees it.
 *
 * @param group the group's name
 * @param role the caller's role in it
 * @param policy who may join and what newcomers read
 * @param roster the members and their roles, sorted by name
 */
public record GroupInfo(String group, GroupRole role, GroupPolicy policy, List<GroupMember> roster) {
  public GroupInfo {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(policy, "policy");
    roster = List.copyOf(roster);
  }

  /** The members' names, sorted. */
  public List<String> members() {
    return roster.stream().map(GroupMember::user).toList();
  }

  /** The role of {@code user}, or null if they are not a member. */
  public GroupRole roleOf(String user) {
    for (GroupMember m : roster) {
      if (m.user().equals(user)) {
        return m.role();
      }
    }
    return null;
  }
}
