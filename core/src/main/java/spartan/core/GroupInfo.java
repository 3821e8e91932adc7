package spartan.core;

import java.util.List;
import java.util.Objects;

/** A group and its members, sorted by name. */
public record GroupInfo(String group, List<String> members) {
  public GroupInfo {
    Objects.requireNonNull(group, "group");
    members = List.copyOf(members);
  }
}
