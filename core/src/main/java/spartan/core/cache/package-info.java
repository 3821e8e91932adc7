/**
 * The recent-message cache: the newest messages of each conversation in memory, held by
 * Caffeine, answering the API calls marked {@code @Cached}. See {@link
 * spartan.core.cache.RecentMessages}.
 */
package spartan.core.cache;
