package spartan.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an API method whose results are served from the recent-message cache when it can answer
 * them; the cache is filled by sends. The decorator built at start-up reads this once, and routes
 * the method to its form with the same signature in {@link spartan.core.spi.CachedReads}, which a
 * marked method must have.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Cached {}
