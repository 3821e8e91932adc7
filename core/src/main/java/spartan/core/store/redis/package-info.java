/**
 * The {@code redis} store: {@link spartan.core.store.redis.RedisChatStore}, built by {@link
 * spartan.core.store.redis.RedisChatStoreBuilder}, which keeps everything in one Redis or a
 * Redis Cluster so that several server nodes share it.
 */
package spartan.core.store.redis;
