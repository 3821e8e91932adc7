package spartan.core;

import java.util.Objects;

/**
 * What a live session is pushed. A closed set: a delivery, a chat request or its answer, a group
 * invitation, or a change in the membership of a group the user belongs to.
 *
 * <p>Membership events ({@link GroupEvent}) are pushed live to every member's open streams; they
 * are not queued in the inbox, so a client that was offline re-reads {@link Session#groupInfo}
 * (or {@link Session#listGroups}) at login. Pending invitations are pushed again at every
 * subscription until answered.
 */
public sealed interface ChatEvent
    permits ChatEvent.MessageReceived,
        ChatEvent.ChatRequested,
        ChatEvent.ChatAnswered,
        ChatEvent.GroupEvent {

  /** A message from this user's inbox; ack its {@code seq} once shown. */
  record MessageReceived(Delivery delivery) implements ChatEvent {
    public MessageReceived {
      Objects.requireNonNull(delivery, "delivery");
    }

    public long seq() {
      return delivery.seq();
    }

    public Message message() {
      return delivery.message();
    }
  }

  /** {@code from} asks to chat; answer with {@link Session#respondChat}. */
  record ChatRequested(String from) implements ChatEvent {
    public ChatRequested {
      Objects.requireNonNull(from, "from");
    }
  }

  /** {@code from} answered this user's chat request. */
  record ChatAnswered(String from, boolean accepted) implements ChatEvent {
    public ChatAnswered {
      Objects.requireNonNull(from, "from");
    }
  }

  /** Something about one group. */
  sealed interface GroupEvent extends ChatEvent
      permits GroupInvited, MemberJoined, MemberLeft, MemberRemoved, RoleChanged, PolicyChanged {
    /** The group's name. */
    String group();
  }

  /** {@code by} invites this user to {@code group}; accept with {@link Session#joinGroup}. */
  record GroupInvited(String group, String by) implements GroupEvent {
    public GroupInvited {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(by, "by");
    }
  }

  /**
   * {@code user} joined {@code group}: accepted an invitation from {@code invitedBy}, or joined a
   * public group ({@code invitedBy} null). The group's creator joining at creation is not told.
   */
  record MemberJoined(String group, String user, String invitedBy) implements GroupEvent {
    public MemberJoined {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(user, "user");
    }
  }

  /** {@code user} left {@code group} of their own accord (or their account was deleted). */
  record MemberLeft(String group, String user) implements GroupEvent {
    public MemberLeft {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(user, "user");
    }
  }

  /** {@code by} removed {@code user} from {@code group}; the removed user is told too. */
  record MemberRemoved(String group, String user, String by) implements GroupEvent {
    public MemberRemoved {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(by, "by");
    }
  }

  /**
   * {@code user}'s role in {@code group} is now {@code role}, set by {@code by} (or by the server,
   * {@code by} null, when ownership passes on from a deleted account).
   */
  record RoleChanged(String group, String user, GroupRole role, String by)
      implements GroupEvent {
    public RoleChanged {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(role, "role");
    }
  }

  /**
   * {@code by} set {@code group}'s join policy to {@code policy}. Every member is told, so no admin
   * can quietly open a private group: with shared history on, newcomers read the group's messages
   * from this change on, never those of its private era.
   */
  record PolicyChanged(String group, GroupPolicy policy, String by) implements GroupEvent {
    public PolicyChanged {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(by, "by");
    }
  }
}
