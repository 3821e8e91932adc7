package spartan.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an API method whose calls count against the caller's rate limit. The decorator built at
 * start-up reads this once; the annotation is the one place that says which calls are limited.
 * The limit key is the calling session's user.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RateLimited {
  /** Which budget the call draws from. */
  Action value();

  /** The budgets a limiter keeps per user, each at the configured rate. */
  enum Action {
    /** Messages. */
    SEND,
    /**
     * Calls that write or notify other users without sending a message — chat requests, group
     * changes, key publishing — so no one can flood another user's screen or the store's single
     * writer through them.
     */
    CONTROL
  }
}
