package spartan.core;

import java.util.Objects;

/** One member of a group and their role. */
public record GroupMember(String user, GroupRole role) {
  public GroupMember {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(role, "role");
  }
}
