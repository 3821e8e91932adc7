package spartan.core;

import java.util.Locale;

/**
 * A member's standing in a group, lowest first. Owners and admins invite, remove and change
 * roles (see {@link Session#setRole} for who may grant what); members only talk.
 */
public enum GroupRole {
  MEMBER,
  ADMIN,
  OWNER;

  /** The wire name: {@code member}, {@code admin} or {@code owner}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a wire name, ignoring case.
   *
   * @throws ChatException {@code INVALID_ARGUMENT} for anything else, null included
   */
  public static GroupRole parse(String s) {
    if (s != null) {
      for (GroupRole r : values()) {
        if (r.name().equalsIgnoreCase(s)) {
          return r;
        }
      }
    }
    throw ChatException.invalid("role must be member, admin or owner");
  }

  /** Whether this role may manage the group (invite, remove, change roles, set the policy). */
  public boolean manages() {
    return this != MEMBER;
  }
}
