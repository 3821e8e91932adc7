package spartan.core;

import java.util.Objects;

/** One row of an account listing: the name and whether it has a live session now. */
public record Account(String user, boolean online) {
  public Account {
    Objects.requireNonNull(user, "user");
  }
}
