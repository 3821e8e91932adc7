/**
 * Per-user rate limiting: one {@link spartan.core.limit.RateLimiter} interface, a GCRA held
 * locally in Caffeine or shared through a Redis Lua script, and a failover between them. The
 * {@code @RateLimited} annotation on the API says which calls draw from a budget; {@code
 * spartan.core.decorate.ChatDecorator} applies it.
 */
package spartan.core.limit;
