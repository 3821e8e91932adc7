package spartan.core.cluster;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.BinaryJedisShardedPubSub;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.JedisURIHelper;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.spi.ChatMetrics;
import spartan.core.spi.NodeBus;
import spartan.core.spi.PendingChatRequests;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.redis.RedisKeys;

/**
 * The {@link NodeBus} of several nodes on one Redis (a single server or a Redis Cluster): each
 * node listens on its own sharded pub/sub channel, keeps its users' presence in Redis, and tells
 * the nodes holding a recipient's live streams when an inbox grows.
 *
 * <p>Keys (every one of a user's shares the hash tag {@code {u:<user>}}):
 *
 * <ul>
 *   <li>{@code sp:{u:<user>}:nodes}: hash, node id → live streams of the user on that node;
 *   <li>{@code sp:node:<id>:users}: set, the users with streams on a node (for sweeping it);
 *   <li>{@code sp:nodes}: sorted set, node id → last heartbeat (Redis time, ms);
 *   <li>{@code sp:epoch}: a random id set once ({@code SET NX}); another value, or none, means
 *       Redis lost its data;
 *   <li>{@code sp:node:<id>}: the node's sharded pub/sub channel.
 * </ul>
 *
 * <p>A direct message costs the storing node one Redis round trip beyond the store's own, a
 * pipelined batch of {@code SPUBLISH}es shared by the news queued together, when the store's
 * insert returned the recipient's presence (a {@code RedisChatStore} on this same Redis, declared
 * with {@link Builder#presenceFromStore}); otherwise one more, a pipelined presence read ({@code
 * HGETALL}) for the batch of recipients.
 *
 * <p>Failures: if Redis is unreachable the node keeps serving its own sessions; presence changes
 * and dropped publishes are remembered, and once Redis answers again (and the subscription is
 * back) the node re-asserts its presence, every local stream re-reads its inbox, and the other
 * nodes are asked to do the same. A node not heard from for {@code deadAfter} is swept by any
 * other at its next heartbeat. Each transition is logged once.
 *
 * <p>Threads: the subscription runs on one thread from the given factory; heartbeats, sweeps,
 * checks and publishing run on the given scheduler. Thread-safe.
 */
public final class RedisNodeBus implements NodeBus {
  private static final Logger log = LoggerFactory.getLogger(RedisNodeBus.class);

  static final String NODES = "sp:nodes";
  static final String EPOCH = "sp:epoch";
  /** Most users swept from a dead node per Redis round trip. */
  static final int SWEEP_CHUNK = 256;
  /** Most dead nodes one heartbeat sweeps. */
  static final int SWEEP_NODES = 8;
  /** Most news items taken into one publish round. */
  static final int PUBLISH_ROUND = 1024;

  /**
   * KEYS[1] the node registry; ARGV node id, dead-after ms, most dead nodes to return. Records
   * this node's heartbeat in Redis time; returns {added (1 if this node was not registered),
   * live node ids, dead node ids}.
   */
  static final String HEARTBEAT =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
      local cutoff = now - tonumber(ARGV[2])
      local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff,
                              'LIMIT', 0, tonumber(ARGV[3]))
      local live = redis.call('ZRANGEBYSCORE', KEYS[1], cutoff, '+inf')
      return {added, live, dead}
      """;

  private final UnifiedJedis redis;
  private final Supplier<Connection> subscriberConnection;
  private final String nodeId;
  private final byte[] channel;
  private final Duration heartbeat;
  private final Duration deadAfter;
  private final Duration checkEvery;
  private final Duration backoffMax;
  private final ScheduledExecutorService scheduler;
  private final ThreadFactory threads;
  private final Clock clock;
  private final ChatMetrics metrics;
  private final int maxQueued;
  private final boolean presenceFromStore;

  private volatile NodeBus.Node node;
  private volatile String epoch;
  /** The registered nodes at the last heartbeat (broadcasts go to them). */
  private volatile Set<String> liveNodes = Set.of();
  /**
   * Registered nodes not heard from for {@code deadAfter}, at the last heartbeat: their presence
   * is ignored until swept. A node unknown at the last heartbeat counts as alive (it may have
   * started since).
   */
  private volatile Set<String> deadNodes = Set.of();
  private final ConcurrentHashMap<String, Integer> streams = new ConcurrentHashMap<>();
  private final Object[] stripes = new Object[64];

  /**
   * News waiting to be published; bounded: when full, news is dropped and a recheck owed. One
   * item may address many notes (a group event), so the notes are counted too ({@link #queuedNotes}).
   */
  private final ArrayBlockingQueue<Outgoing> outbox;
  /** Notes held by the items in {@link #outbox}, at most {@code maxQueued}. */
  private final java.util.concurrent.atomic.AtomicInteger queuedNotes =
      new java.util.concurrent.atomic.AtomicInteger();
  private final Runnable publishSoon;
  /** News was dropped (queue full, Redis failure): the other nodes must re-read. */
  private final AtomicBoolean owedRecheck = new AtomicBoolean();
  /** Something here may be stale (presence write failed, subscription lost): resync when up. */
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final CompletableFuture<Void> firstSubscription = new CompletableFuture<>();
  private final AtomicLong subscriptions = new AtomicLong();
  private volatile boolean subscribed;
  private volatile Listener listener;
  private volatile Connection listening;
  private final List<ScheduledFuture<?>> timers = new ArrayList<>();
  private Thread subscriber;
  private final RedisChatRequests requests;
  private final boolean ownsClient;

  private RedisNodeBus(Builder b) {
    this.redis = b.redis;
    this.subscriberConnection = b.subscriberConnection;
    this.nodeId = b.nodeId != null ? b.nodeId : randomId();
    this.channel = ("sp:node:" + nodeId).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.heartbeat = b.heartbeat;
    this.deadAfter = b.deadAfter;
    this.checkEvery = b.checkEvery;
    this.backoffMax = b.backoffMax;
    this.scheduler = b.scheduler;
    this.threads = b.threads;
    this.clock = b.clock;
    this.metrics = b.metrics;
    this.maxQueued = b.maxQueued;
    this.presenceFromStore = b.presenceFromStore;
    this.outbox = new ArrayBlockingQueue<>(b.maxQueued);
    this.publishSoon =
        SerializingExecutor.coalescing(new SerializingExecutor(scheduler), this::publishRound);
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new Object();
    }
    this.requests = new RedisChatRequests(redis, clock);
    this.ownsClient = b.ownsClient;
  }

  public static Builder builder() {
    return new Builder();
  }

  private static String randomId() {
    byte[] b = new byte[8];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** This node's id. */
  public String nodeId() {
    return nodeId;
  }

  /** The dataset epoch this node serves. */
  public String epoch() {
    return epoch;
  }

  /** Whether the node's channel is subscribed now (readiness). */
  public boolean isSubscribed() {
    return subscribed;
  }

  /**
   * Reads (or creates) the dataset epoch, registers the node, subscribes to its channel and
   * waits for the subscription's confirmation; then starts heartbeats and checks. Call after
   * the service is built and before the transports accept.
   *
   * @throws IllegalStateException if Redis does not confirm within {@code timeout}
   */
  public void start(Duration timeout) {
    if (node == null) {
      throw new IllegalStateException("no service attached: build the service with this bus first");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    epoch = readEpoch();
    beat();
    subscriber = threads.newThread(this::listen);
    subscriber.start();
    try {
      firstSubscription.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "cluster: node " + nodeId + " not subscribed to Redis within " + timeout);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cluster: cannot subscribe: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while subscribing", e);
    }
    synchronized (timers) {
      long hb = heartbeat.toMillis();
      timers.add(scheduler.scheduleWithFixedDelay(this::beatQuietly, hb, hb, TimeUnit.MILLISECONDS));
      long ce = checkEvery.toMillis();
      timers.add(scheduler.scheduleWithFixedDelay(this::check, ce, ce, TimeUnit.MILLISECONDS));
    }
    log.info("cluster: node {} subscribed (epoch {})", nodeId, epoch);
  }

  // ---- NodeBus ----------------------------------------------------------------------------------

  @Override
  public void attach(NodeBus.Node node) {
    if (this.node != null) {
      throw new IllegalStateException("a service is attached already");
    }
    this.node = Objects.requireNonNull(node, "node");
  }

  @Override
  public void streamOpened(String user) {
    streams.merge(user, 1, Integer::sum);
    if (down.get()) {
      dirty.set(true); // written when Redis returns, before the streams re-read
      return;
    }
    writePresence(user);
  }

  @Override
  public void streamClosed(String user) {
    streams.merge(user, -1, Integer::sum);
    if (closing.getCount() == 0) {
      return;
    }
    try {
      scheduler.execute(() -> writePresence(user));
    } catch (RejectedExecutionException shutDown) {
      // the node is stopping; its presence goes with close() or the sweep
    }
  }

  /** Queues "these inboxes grew" for the nodes holding the users' streams, read when published. */
  @Override
  public void stored(List<String> users, List<Long> seqs) {
    stored(users, seqs, null);
  }

  /**
   * As {@link #stored(List, List)}; with {@link Builder#presenceFromStore} on, a user whose
   * nodes {@code liveOn} gives is addressed to them now (its presence was read with the insert,
   * so any stream opened before it is there, and any opened after reads the entry itself), and
   * only the others are read when published.
   */
  @Override
  public void stored(List<String> users, List<Long> seqs, Map<String, Set<String>> liveOn) {
    Map<String, List<BusCodec.Note>> byNode = new HashMap<>();
    Set<String> dead = deadNodes;
    for (int i = 0; i < users.size(); i++) {
      BusCodec.Tip tip = new BusCodec.Tip(users.get(i), seqs.get(i));
      Set<String> nodes = presenceFromStore && liveOn != null ? liveOn.get(tip.user()) : null;
      if (nodes == null) {
        enqueue(tip);
        continue;
      }
      for (String n : nodes) {
        if (!n.equals(nodeId) && !dead.contains(n)) {
          byNode.computeIfAbsent(n, k -> new ArrayList<>()).add(tip);
        }
      }
    }
    if (!byNode.isEmpty()) {
      enqueue(new Addressed(byNode)); // one queue entry for a whole fan-out, as tell() does
    }
  }

  @Override
  public void tell(Collection<String> users, ChatEvent event) {
    if (users.isEmpty() || down.get()) {
      return;
    }
    Map<String, Set<String>> where;
    try {
      where = presence(users);
    } catch (RuntimeException e) {
      wentDown(e);
      return;
    }
    // One queue entry per event however many users it tells, so a big group's notice cannot
    // crowd out the queue.
    Map<String, List<BusCodec.Note>> byNode = new HashMap<>();
    where.forEach(
        (user, nodes) -> {
          for (String n : nodes) {
            byNode.computeIfAbsent(n, k -> new ArrayList<>()).add(new BusCodec.Tell(user, event));
          }
        });
    if (!byNode.isEmpty()) {
      enqueue(new Addressed(byNode));
    }
  }

  @Override
  public void accountDeleted(String user) {
    enqueue(new BusCodec.Deleted(user));
  }

  @Override
  public Set<String> onlineElsewhere(Collection<String> users) {
    if (down.get() || users.isEmpty()) {
      return Set.of();
    }
    try {
      Map<String, Set<String>> where = presence(users);
      Set<String> on = new HashSet<>();
      where.forEach((u, nodes) -> {
        if (!nodes.isEmpty()) {
          on.add(u);
        }
      });
      return on;
    } catch (RuntimeException e) {
      wentDown(e);
      return Set.of();
    }
  }

  @Override
  public Optional<PendingChatRequests> sharedRequests() {
    return Optional.of(requests);
  }

  /** Leaves the cluster: removes this node's presence and registration, stops listening. */
  @Override
  public void close() {
    if (closing.getCount() == 0) {
      return;
    }
    closing.countDown();
    synchronized (timers) {
      timers.forEach(t -> t.cancel(false));
    }
    Listener l = listener;
    if (l != null && l.isSubscribed()) {
      try {
        l.sunsubscribe();
      } catch (RuntimeException ignored) {
        // connection already gone
      }
    }
    Connection c = listening;
    if (c != null) {
      c.close();
    }
    if (!down.get() && started.get()) {
      try {
        leave();
      } catch (RuntimeException e) {
        log.warn("cluster: node {} could not remove its presence ({}); the others sweep it", nodeId,
            e.toString());
      }
    }
    if (subscriber != null) {
      try {
        subscriber.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownsClient) {
      redis.close();
    }
  }

  /**
   * Stops at once without leaving: heartbeats stop and the subscription closes, but the node's
   * presence and registration stay in Redis for the others to sweep, as after {@code kill -9}.
   * For tests of that sweep.
   */
  public void abandon() {
    closing.countDown();
    synchronized (timers) {
      timers.forEach(t -> t.cancel(false));
    }
    Connection c = listening;
    if (c != null) {
      c.close();
    }
  }

  // ---- presence ---------------------------------------------------------------------------------

  private static String presenceKey(String user) {
    return RedisKeys.presence(user);
  }

  private String usersKey() {
    return usersKey(nodeId);
  }

  private static String usersKey(String node) {
    return "sp:node:" + node + ":users";
  }

  /** Writes this node's current stream count for {@code user}; the last write wins, in order. */
  private void writePresence(String user) {
    if (closing.getCount() == 0) {
      return; // leaving: close() removes the presence, or the others sweep it
    }
    synchronized (stripes[Math.floorMod(user.hashCode(), stripes.length)]) {
      int n = streams.getOrDefault(user, 0);
      if (n == 0) {
        // Only at zero: a close counted before its open (a session ended while its stream was
        // being opened) leaves -1, which the open brings back to 0. Forgetting the -1 would
        // make that open count 1 and advertise a stream that does not exist, for good.
        streams.remove(user, 0);
      }
      try (AbstractPipeline p = redis.pipelined()) {
        if (n > 0) {
          p.hset(presenceKey(user), nodeId, Integer.toString(n));
          p.sadd(usersKey(), user);
        } else {
          p.hdel(presenceKey(user), nodeId);
          p.srem(usersKey(), user);
        }
        p.sync();
      } catch (RuntimeException e) {
        dirty.set(true);
        wentDown(e);
      }
    }
  }

  /** Writes every local user's presence again (after a loss or a sweep of this node). */
  private void assertPresence() {
    Set<String> users = node.users();
    for (String u : users) {
      streams.putIfAbsent(u, 1);
    }
    for (String u : List.copyOf(streams.keySet())) {
      if (!users.contains(u)) {
        streams.put(u, 0);
      }
      writePresence(u);
    }
  }

  /** The live nodes other than this one holding streams of each user. */
  private Map<String, Set<String>> presence(Collection<String> users) {
    Map<String, Response<Map<String, String>>> replies = new LinkedHashMap<>();
    try (AbstractPipeline p = redis.pipelined()) {
      for (String u : users) {
        replies.put(u, p.hgetAll(presenceKey(u)));
      }
      p.sync();
    }
    Set<String> dead = deadNodes;
    Map<String, Set<String>> out = new HashMap<>();
    replies.forEach(
        (u, r) -> {
          Set<String> nodes = new HashSet<>();
          r.get().forEach((n, count) -> {
            if (!n.equals(nodeId) && !dead.contains(n) && positive(count)) {
              nodes.add(n);
            }
          });
          out.put(u, nodes);
        });
    return out;
  }

  private static boolean positive(String count) {
    try {
      return Long.parseLong(count) > 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void leave() {
    try (AbstractPipeline p = redis.pipelined()) {
      for (String u : streams.keySet()) {
        p.hdel(presenceKey(u), nodeId);
      }
      p.del(usersKey());
      p.zrem(NODES, nodeId);
      p.sync();
    }
  }

  // ---- publishing -------------------------------------------------------------------------------

  /** Notes whose target nodes are already known, by node. */
  private record Addressed(Map<String, List<BusCodec.Note>> byNode) implements Outgoing {}

  private void enqueue(Outgoing note) {
    int notes = notes(note);
    boolean taken = false;
    if (queuedNotes.addAndGet(notes) <= maxQueued) {
      taken = outbox.offer(note);
    }
    if (!taken) {
      queuedNotes.addAndGet(-notes);
      if (owedRecheck.compareAndSet(false, true)) {
        log.warn("cluster: publish queue full ({} notes); the other nodes will re-read instead",
            maxQueued);
      }
    }
    try {
      publishSoon.run();
    } catch (RejectedExecutionException shutDown) {
      // stopping: the other nodes' periodic check finds what was stored
    }
  }

  private static int notes(Outgoing o) {
    if (o instanceof Addressed a) {
      int n = 0;
      for (List<BusCodec.Note> l : a.byNode().values()) {
        n += l.size();
      }
      return n;
    }
    return 1;
  }

  /** For tests: the notes waiting to be published. */
  int queuedNotes() {
    return queuedNotes.get();
  }

  private void publishRound() {
    while (closing.getCount() > 0) {
      List<Outgoing> round = new ArrayList<>();
      outbox.drainTo(round, PUBLISH_ROUND);
      int drained = 0;
      for (Outgoing o : round) {
        drained += notes(o);
      }
      queuedNotes.addAndGet(-drained);
      boolean recheck = owedRecheck.get() && !down.get();
      if (round.isEmpty() && !recheck) {
        return;
      }
      if (down.get()) {
        if (!round.isEmpty()) {
          owedRecheck.set(true); // dropped: the others re-read when Redis is back
        }
        return;
      }
      try {
        publish(round, recheck);
      } catch (RuntimeException e) {
        owedRecheck.set(true);
        wentDown(e);
        return;
      }
    }
  }

  private void publish(List<Outgoing> round, boolean recheck) {
    Set<String> targeted = new HashSet<>();
    for (Outgoing n : round) {
      if (n instanceof BusCodec.Tip t) {
        targeted.add(t.user());
      }
    }
    Map<String, Set<String>> where = targeted.isEmpty() ? Map.of() : presence(targeted);
    boolean broadcast = recheck;
    for (Outgoing o : round) {
      broadcast |= o instanceof BusCodec.Deleted;
    }
    // Broadcasts are rare (a deleted account, a recheck): read the registry now rather than
    // trust the last heartbeat, which may predate a node that just started.
    Set<String> others = new HashSet<>(broadcast ? redis.zrange(NODES, 0, -1) : liveNodes);
    others.remove(nodeId);
    others.removeAll(deadNodes);
    Map<String, List<BusCodec.Note>> byNode = new HashMap<>();
    if (recheck) {
      owedRecheck.set(false);
      for (String n : others) {
        byNode.computeIfAbsent(n, k -> new ArrayList<>()).add(new BusCodec.Recheck());
      }
    }
    for (Outgoing o : round) {
      Collection<String> to;
      BusCodec.Note n;
      if (o instanceof Addressed a) {
        a.byNode().forEach(
            (target, notes) -> byNode.computeIfAbsent(target, k -> new ArrayList<>()).addAll(notes));
        continue;
      }
      if (o instanceof BusCodec.Tip t) {
        to = where.getOrDefault(t.user(), Set.of());
        n = t;
      } else {
        to = others; // a deleted account's idle sessions are not in presence: tell every node
        n = (BusCodec.Note) o;
      }
      for (String target : to) {
        byNode.computeIfAbsent(target, k -> new ArrayList<>()).add(n);
      }
    }
    if (byNode.isEmpty()) {
      return;
    }
    int sent = 0;
    try (AbstractPipeline p = redis.pipelined()) {
      for (Map.Entry<String, List<BusCodec.Note>> e : byNode.entrySet()) {
        byte[] ch = ("sp:node:" + e.getKey()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte[] payload : BusCodec.encode(epoch, e.getValue())) {
          p.sendCommand(
              new CommandArguments(Protocol.Command.SPUBLISH).key(ch).add(payload));
        }
        sent += e.getValue().size();
      }
      p.sync();
    }
    metrics.notificationsPublished(sent);
  }

  // ---- receiving --------------------------------------------------------------------------------

  /** Runs on the subscriber thread: subscribes, listens, and reconnects with backoff. */
  private void listen() {
    long backoff = 50;
    while (closing.getCount() > 0) {
      try {
        Listener l = new Listener();
        listener = l;
        if (subscriberConnection == null) {
          ((RedisClusterClient) redis).ssubscribe(l, channel); // routed by the channel's slot
        } else {
          Connection c = subscriberConnection.get();
          listening = c;
          l.proceed(c, channel); // returns when unsubscribed; throws when the connection drops
        }
        subscribed = false;
        backoff = 50;
      } catch (RuntimeException e) {
        subscribed = false;
        if (closing.getCount() == 0) {
          break;
        }
        dirty.set(true);
        wentDown(e);
      } finally {
        Connection c = listening;
        if (c != null) {
          c.close();
        }
      }
      try {
        if (closing.await(backoff, TimeUnit.MILLISECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      backoff = Math.min(backoff * 2, backoffMax.toMillis());
    }
    subscribed = false;
  }

  private final class Listener extends BinaryJedisShardedPubSub {
    @Override
    public void onSSubscribe(byte[] ch, int count) {
      subscribed = true;
      subscriptions.incrementAndGet();
      if (!firstSubscription.complete(null)) {
        // a re-subscription: news may have been missed while it was down
        dirty.set(true);
        try {
          scheduler.execute(RedisNodeBus.this::beatQuietly);
        } catch (RejectedExecutionException shutDown) {
          // stopping
        }
      }
    }

    @Override
    public void onSMessage(byte[] ch, byte[] payload) {
      receive(payload);
    }
  }

  /** Hands one payload to the service; never throws. */
  void receive(byte[] payload) {
    BusCodec.Batch batch;
    try {
      batch = BusCodec.decode(payload);
    } catch (BusCodec.MalformedException e) {
      metrics.notificationRejected();
      log.warn("cluster: ignored a malformed notification on node {} ({} bytes): {}", nodeId,
          payload == null ? 0 : payload.length, e.getMessage());
      return;
    }
    try {
      if (!batch.epoch().equals(epoch)) {
        // From before (or after) a data reset: the heartbeat settles which epoch holds; the
        // store is the truth either way, so re-read.
        log.info("cluster: notification from epoch {} on node {} of epoch {}; re-reading",
            batch.epoch(), nodeId, epoch);
        scheduler.execute(this::beatQuietly);
        return;
      }
      Map<String, Long> tips = new HashMap<>();
      for (BusCodec.Note n : batch.notes()) {
        if (n instanceof BusCodec.Tip t) {
          tips.merge(t.user(), t.seq(), Math::max);
        } else if (n instanceof BusCodec.Tell t) {
          node.tell(t.user(), t.event());
        } else if (n instanceof BusCodec.Deleted d) {
          node.accountDeleted(d.user());
        } else {
          node.recheck();
          metrics.nodeResynced();
        }
      }
      if (!tips.isEmpty()) {
        node.storedUpTo(tips);
      }
      metrics.notificationsReceived(batch.notes().size());
    } catch (RuntimeException e) {
      log.warn("cluster: node {} failed to handle a notification", nodeId, e);
    }
  }

  // ---- heartbeat, sweep, epoch --------------------------------------------------------------------

  private void beatQuietly() {
    if (closing.getCount() == 0) {
      return;
    }
    try {
      beat();
    } catch (RuntimeException e) {
      wentDown(e);
    }
  }

  /** One heartbeat: register, learn the live nodes, check the epoch, sweep the dead, resync. */
  @SuppressWarnings("unchecked")
  private void beat() {
    Response<Object> hb;
    Response<String> ep;
    try (AbstractPipeline p = redis.pipelined()) {
      hb =
          p.eval(
              HEARTBEAT,
              List.of(NODES),
              List.of(nodeId, Long.toString(deadAfter.toMillis()), Integer.toString(SWEEP_NODES)));
      ep = p.get(EPOCH);
      p.sync();
    }
    List<Object> r = (List<Object>) hb.get();
    boolean added = ((Long) r.get(0)) == 1L;
    Set<String> live = new HashSet<>();
    for (Object o : (List<Object>) r.get(1)) {
      live.add(text(o));
    }
    liveNodes = Set.copyOf(live);
    Set<String> dead = new HashSet<>();
    for (Object o : (List<Object>) r.get(2)) {
      dead.add(text(o));
    }
    deadNodes = Set.copyOf(dead);
    String current = ep.get();
    if (current == null) {
      current = readEpoch();
    }
    if (epoch != null && !current.equals(epoch)) {
      dataReset(current);
      return;
    }
    for (String d : dead) {
      sweep(d);
    }
    if (down.compareAndSet(true, false)) {
      log.info("cluster: Redis reachable again from node {}; resynchronising", nodeId);
    }
    if (added && started.get() && subscriptions.get() > 0) {
      dirty.set(true); // swept while alive (a long pause): the others stopped telling us
    }
    if (subscribed && dirty.compareAndSet(true, false)) {
      assertPresence();
      node.recheck();
      owedRecheck.set(true); // our own dropped news, if any, and anything the others missed
      metrics.nodeResynced();
      publishSoon.run();
    } else if (owedRecheck.get()) {
      publishSoon.run();
    }
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
        : String.valueOf(o);
  }

  private String readEpoch() {
    String fresh = randomId();
    redis.set(EPOCH, fresh, SetParams.setParams().nx());
    String now = redis.get(EPOCH);
    return now != null ? now : fresh;
  }

  /** Redis lost its data: sessions here were built on it, so they end and clients log in again. */
  private void dataReset(String current) {
    String was = epoch;
    epoch = current;
    Set<String> users = node.users();
    log.warn("cluster: Redis data was reset (epoch {} is now {}); ending the sessions of {} users"
        + " on node {} so their clients log in again", was, current, users.size(), nodeId);
    node.reset(ChatException.DATA_RESET);
    metrics.nodeResynced();
    dirty.set(true);
  }

  /** Removes a dead node's presence, if this node wins the claim on it. */
  private void sweep(String dead) {
    if (dead.equals(nodeId) || redis.zrem(NODES, dead) == 0) {
      return; // another node claimed it
    }
    int users = 0;
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page =
          redis.sscan(usersKey(dead), cursor, new ScanParams().count(SWEEP_CHUNK));
      try (AbstractPipeline p = redis.pipelined()) {
        for (String u : page.getResult()) {
          p.hdel(presenceKey(u), dead);
        }
        p.sync();
      }
      users += page.getResult().size();
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    redis.del(usersKey(dead));
    log.warn("cluster: node {} swept dead node {} (presence of {} users removed)", nodeId, dead,
        users);
  }

  /** The periodic check: each local stream compared with its inbox head. */
  private void check() {
    if (closing.getCount() == 0) {
      return;
    }
    try {
      node.recheck();
    } catch (RuntimeException e) {
      log.debug("cluster: periodic check failed on node {}: {}", nodeId, e.toString());
    }
  }

  private void wentDown(RuntimeException e) {
    if (closing.getCount() == 0) {
      return;
    }
    if (down.compareAndSet(false, true)) {
      log.warn("cluster: node {} lost Redis ({}); serving its own sessions only until it is"
          + " back", nodeId, e.toString());
    }
    // The subscription's socket waits without a timeout: drop it, so a half-open connection
    // is replaced rather than trusted.
    Connection c = listening;
    if (c != null && subscriberConnection != null) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  /** Builds a {@link RedisNodeBus}; {@link #redis}, {@link #scheduler} and {@link #threads} are required. */
  public static final class Builder {
    private UnifiedJedis redis;
    private Supplier<Connection> subscriberConnection;
    private String nodeId;
    private Duration heartbeat = Duration.ofSeconds(1);
    private Duration deadAfter = Duration.ofSeconds(5);
    private Duration checkEvery = Duration.ofSeconds(5);
    private Duration backoffMax = Duration.ofSeconds(2);
    private ScheduledExecutorService scheduler;
    private ThreadFactory threads;
    private Clock clock = Clock.systemUTC();
    private ChatMetrics metrics = ChatMetrics.NONE;
    private int maxQueued = 10_000;
    private boolean ownsClient;
    private boolean presenceFromStore;

    /**
     * Connects to the Redis at {@code url} ({@code redis://} or {@code rediss://}, with optional
     * user, password and database), with {@code timeout} to connect and to read; the bus owns
     * the client and closes it. TLS checks the server's name against the JDK's trust store.
     */
    public Builder redis(String url, Duration timeout) {
      return redis(url, timeout, null);
    }

    /**
     * {@link #redis(String, Duration)}, trusting {@code ca} (null: the JDK's trust store) for a
     * {@code rediss://} URL. If the server at {@code url} is a node of a Redis Cluster, the bus
     * talks to the cluster through it, as {@link #redisCluster} does, with the same TLS and
     * credentials; {@code UNAVAILABLE} if it cannot be reached to ask.
     */
    public Builder redis(String url, Duration timeout, javax.net.ssl.X509TrustManager ca) {
      java.net.URI uri;
      try {
        uri = new java.net.URI(Objects.requireNonNull(url, "cluster.redis").strip());
      } catch (java.net.URISyntaxException e) {
        // never the parser's message: it quotes the URL, and the URL may hold a password
        throw new IllegalArgumentException(
            "cluster.redis is not a URL like redis://host:6379 (or rediss:// for TLS)");
      }
      if (!JedisURIHelper.isValid(uri)
          || !(uri.getScheme().equals("redis") || uri.getScheme().equals("rediss"))) {
        throw new IllegalArgumentException(
            "cluster.redis must be redis://host:port or rediss://host:port, was " + uri.getScheme()
                + "://…");
      }
      int millis = (int) positive(timeout, "cluster.redisTimeout").toMillis();
      boolean tls = JedisURIHelper.isRedisSSLScheme(uri);
      DefaultJedisClientConfig.Builder config =
          DefaultJedisClientConfig.builder()
              .connectionTimeoutMillis(millis)
              .socketTimeoutMillis(millis)
              .ssl(tls)
              .clientName("spartan-cluster")
              .protocol(RedisProtocol.RESP2); // the replies read are RESP2 (and Jedis warns unless told)
      if (tls) {
        javax.net.ssl.SSLParameters params = new javax.net.ssl.SSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setProtocols(spartan.core.spi.Tls.PROTOCOLS.toArray(new String[0]));
        config.sslParameters(params);
        if (ca != null) {
          try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {ca}, null);
            config.sslSocketFactory(ctx.getSocketFactory());
          } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a TLS context", e);
          }
        }
      }
      if (JedisURIHelper.getPassword(uri) != null) {
        config.user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri));
      }
      if (JedisURIHelper.hasDbIndex(uri)) {
        config.database(JedisURIHelper.getDBIndex(uri));
      }
      DefaultJedisClientConfig built = config.build();
      HostAndPort at = new HostAndPort(uri.getHost(), uri.getPort());
      boolean cluster;
      try (redis.clients.jedis.Jedis probe = new redis.clients.jedis.Jedis(at, built)) {
        cluster = probe.info("cluster").contains("cluster_enabled:1");
      } catch (redis.clients.jedis.exceptions.JedisException e) {
        throw ChatException.unavailable(
            "Cannot reach the cluster bus's Redis at " + uri.getScheme() + "://" + at + ": "
                + e.getMessage());
      }
      if (cluster) {
        // The client routes each command, and the subscription, by slot from this seed.
        this.redis = RedisClusterClient.builder().nodes(Set.of(at)).clientConfig(built).build();
        this.subscriberConnection = null;
        this.ownsClient = true;
        return this;
      }
      ConnectionPoolConfig pool = new ConnectionPoolConfig();
      pool.setMaxTotal(8);
      pool.setMaxWait(Duration.ofMillis(millis));
      pool.setJmxEnabled(false);
      // The subscriber's socket waits for messages indefinitely; the node's heartbeats notice a
      // dead server, and the subscription's reconnect loop notices a dropped socket.
      DefaultJedisClientConfig listening =
          DefaultJedisClientConfig.builder()
              .connectionTimeoutMillis(millis)
              .socketTimeoutMillis(0)
              .ssl(tls)
              .sslParameters(built.getSslParameters())
              .user(built.getUser())
              .password(built.getPassword())
              .clientName("spartan-cluster-sub")
              .protocol(RedisProtocol.RESP2)
              .build();
      this.redis = RedisClient.builder().hostAndPort(at).clientConfig(built).poolConfig(pool).build();
      this.subscriberConnection = () -> new Connection(at, listening);
      this.ownsClient = true;
      return this;
    }

    /**
     * The Redis client for commands (this bus does not close it) and a source of dedicated
     * connections for the subscription (a single server); for a {@link RedisClusterClient} the
     * subscription source may be null: the client routes it by the channel's slot.
     */
    public Builder redis(UnifiedJedis client, Supplier<Connection> subscriberConnection) {
      this.redis = Objects.requireNonNull(client, "redis");
      this.subscriberConnection = subscriberConnection;
      return this;
    }

    /**
     * Connects to a Redis Cluster through any of {@code seeds} (plain TCP, no password), with
     * {@code timeout} to connect and to read; the bus owns the client and closes it. The
     * subscription is routed to the shard owning the node's channel.
     */
    public Builder redisCluster(Set<HostAndPort> seeds, Duration timeout) {
      if (seeds == null || seeds.isEmpty()) {
        throw new IllegalArgumentException("a Redis Cluster needs at least one seed node");
      }
      int millis = (int) positive(timeout, "cluster.redisTimeout").toMillis();
      this.redis =
          RedisClusterClient.builder()
              .nodes(Set.copyOf(seeds))
              .clientConfig(
                  DefaultJedisClientConfig.builder()
                      .connectionTimeoutMillis(millis)
                      .socketTimeoutMillis(millis)
                      .clientName("spartan-cluster")
                      .build())
              .build();
      this.subscriberConnection = null;
      this.ownsClient = true;
      return this;
    }

    /** This node's id ({@code cluster.nodeId}); random by default. 1-64 of [A-Za-z0-9_-]. */
    public Builder nodeId(String id) {
      if (id != null && !id.matches("[A-Za-z0-9_-]{1,64}")) {
        throw new IllegalArgumentException(
            "cluster.nodeId must be 1-64 letters, digits, '-' or '_', was " + id);
      }
      this.nodeId = id;
      return this;
    }

    /** How often the node says it is alive ({@code cluster.heartbeat}, default 1 s). */
    public Builder heartbeat(Duration d) {
      this.heartbeat = positive(d, "cluster.heartbeat");
      return this;
    }

    /**
     * How long unheard-of before a node counts as dead and is swept ({@code cluster.deadAfter},
     * default 5 s; at least twice the heartbeat).
     */
    public Builder deadAfter(Duration d) {
      this.deadAfter = positive(d, "cluster.deadAfter");
      return this;
    }

    /** How often each local stream is checked against its inbox head (default 5 s). */
    public Builder checkEvery(Duration d) {
      this.checkEvery = positive(d, "cluster.checkEvery");
      return this;
    }

    /** Runs heartbeats, sweeps, checks and publishing; not an event loop. Not shut down here. */
    public Builder scheduler(ScheduledExecutorService s) {
      this.scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Makes the one thread that holds the subscription. */
    public Builder threads(ThreadFactory t) {
      this.threads = Objects.requireNonNull(t, "threads");
      return this;
    }

    /** Timestamps for shared chat requests. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder metrics(ChatMetrics m) {
      this.metrics = Objects.requireNonNull(m, "metrics");
      return this;
    }

    /**
     * Notes held for publishing before news is dropped for a recheck (default 10,000); a group
     * event counts once per member it tells.
     */
    public Builder maxQueued(int n) {
      if (n < 1 || n > 1_000_000) {
        throw new IllegalArgumentException("maxQueued must be 1-1000000, was " + n);
      }
      this.maxQueued = n;
      return this;
    }

    /**
     * Whether the chat store is a {@code RedisChatStore} on this bus's Redis (same server or
     * cluster, same database), so the presence its inserts return ({@code ChatStore.Appended
     * liveOn}) is the presence this bus keeps and the bus need not read it again. Default off:
     * with a store elsewhere that presence would be empty, and news would wait for the periodic
     * check.
     */
    public Builder presenceFromStore(boolean same) {
      this.presenceFromStore = same;
      return this;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.toMillis() > 3_600_000) {
        throw new IllegalArgumentException(name + " must be 1 ms to 1 h, was " + d);
      }
      return d;
    }

    public RedisNodeBus build() {
      if (redis == null || scheduler == null || threads == null) {
        throw new IllegalStateException("redis, scheduler and threads are required");
      }
      if (subscriberConnection == null && !(redis instanceof RedisClusterClient)) {
        throw new IllegalStateException("a single Redis needs a subscriber connection source");
      }
      if (deadAfter.compareTo(heartbeat.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException(
            "cluster.deadAfter (" + deadAfter + ") must be at least twice cluster.heartbeat ("
                + heartbeat + ")");
      }
      return new RedisNodeBus(this);
    }
  }
}
