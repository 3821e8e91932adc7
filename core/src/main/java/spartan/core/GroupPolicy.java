package spartan.core;

/**
 * Who may join a group and what a newcomer may read.
 *
 * @param open anyone may join without an invitation (a public group); otherwise joining needs an
 *     invitation from an owner or admin
 * @param sharedHistory a newcomer may read the messages sent before they joined; otherwise (the
 *     default) a member sees only messages sent while they were a member. Only a public group
 *     may share its history: an invite-only group's members were promised a closed room.
 */
public record GroupPolicy(boolean open, boolean sharedHistory) {
  /** Invite-only, history from the join: the default. */
  public static final GroupPolicy PRIVATE = new GroupPolicy(false, false);

  /** Anyone may join; history from the join. */
  public static final GroupPolicy PUBLIC = new GroupPolicy(true, false);

  public GroupPolicy {
    if (sharedHistory && !open) {
      throw ChatException.invalid("only a public group may share its earlier history");
    }
  }
}
