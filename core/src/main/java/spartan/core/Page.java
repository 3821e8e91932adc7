package spartan.core;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing. {@code next} is the cursor to pass as {@code after} for the following
 * page, or null when this is the last page.
 */
public record Page<T>(List<T> items, String next) {
  public Page {
    items = List.copyOf(items);
  }

  public Optional<String> nextCursor() {
    return Optional.ofNullable(next);
  }
}
