package spartan.core;

import java.time.Instant;
import java.util.Objects;

/** A pending invitation to {@code group}, sent by {@code by} at {@code at}. */
public record GroupInvite(String group, String by, Instant at) {
  public GroupInvite {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(at, "at");
  }
}
