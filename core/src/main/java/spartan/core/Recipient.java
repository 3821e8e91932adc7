package spartan.core;

/**
 * Where a message goes: one user or one group. Names are normalised to lower case and validated
 * by {@link Names}; construction fails with {@link ErrorCode#INVALID_ARGUMENT} otherwise.
 */
public sealed interface Recipient permits Recipient.User, Recipient.Group {

  /** The normalised user or group name. */
  String name();

  static Recipient user(String name) {
    return new User(name);
  }

  static Recipient group(String name) {
    return new Group(name);
  }

  /** A direct message to one account. */
  record User(String name) implements Recipient {
    public User {
      name = Names.user(name);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A message to every current member of a group. */
  record Group(String name) implements Recipient {
    public Group {
      name = Names.group(name);
    }

    @Override
    public String toString() {
      return "#" + name;
    }
  }
}
