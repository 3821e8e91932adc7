/**
 * Several server nodes as one: {@link spartan.core.cluster.RedisNodeBus}, the {@link
 * spartan.core.spi.NodeBus} over Redis sharded pub/sub, tells the nodes holding a user's live
 * streams that the user's inbox grew or that a live-only event is for them, keeps each node's
 * presence and heartbeat, sweeps dead nodes and resynchronises after a lost subscription or a
 * data reset; {@link spartan.core.cluster.RedisChatRequests} keeps pending chat requests where
 * every node sees them; {@link spartan.core.cluster.BusCodec} is the bounded binary form of what
 * travels between nodes. The store every node shares is {@code spartan.core.store.redis}.
 */
package spartan.core.cluster;
