package spartan.core.store.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ZRangeParams;
import redis.clients.jedis.resps.Tuple;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.Names;
import spartan.core.Recipient;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;

/**
 * A {@link ChatStore} in Redis, shared by every node of a deployment: on one Redis (a primary
 * with {@code appendonly yes}, {@code appendfsync always}) or on a Redis Cluster, with the same
 * code, since every script touches the keys of one hash tag (see {@link RedisKeys}). Built by
 * {@link RedisChatStoreBuilder}.
 *
 * <p><b>Model.</b> Each inbox is a Redis stream whose entry ids are the sequences ({@code
 * <seq>-0}); one script per recipient skips a message already there, assigns the next sequence
 * and appends; {@link #ack} trims the stream with {@code XTRIM MINID}. A message is first
 * recorded in its conversation (a stream per conversation, entry ids the message ids, in the
 * slot of the direct conversation or of the group) together with a pending fan-out naming its
 * recipients; that record is the point of durability. Then it is inserted into each inbox and
 * the pending record dropped. A fan-out cut short (the node died, Redis went away) is finished
 * by whoever next sends in that conversation, by a resend with the same client id, and by every
 * store's sweep of the fan-out index at open and then periodically; inserts are idempotent, so a
 * member gets each message once. A direct send costs two awaited round trips (record, insert);
 * the pending record is dropped after, off the sender's path: it rides in the pipeline of the
 * next record this store sends, or, if the drop lane gets to it first, goes in one pipelined
 * round trip with the drops of whatever other sends finished meanwhile. Each insert also reads, in the same
 * script, the nodes holding the recipient's live streams ({@link RedisKeys#presence}), and the
 * result carries them ({@link Appended#liveOn}) so that a node bus on this Redis need not.
 *
 * <p><b>Message ids</b> are globally unique (the client drops a repeated id whatever its
 * conversation) and increase within a conversation (history pages and group floors compare
 * them): a node takes ids in blocks from one counter, and the record script refuses an id not
 * above its conversation's newest, upon which the node takes a fresh block, whose ids are above
 * every id handed out so far.
 *
 * <p><b>Threads.</b> Thread-safe. Reads and account and group changes run on the caller's
 * thread and block on Redis. {@link #append} runs on the store's executor, on one lane per
 * sender so that one sender's futures complete in the order of its sends; at most {@code
 * maxQueued} appends wait, and appends not yet completed hold at most {@code maxQueuedBytes} of
 * heap (bodies and recipient lists, estimated), beyond which {@code append} fails at once with
 * {@code UNAVAILABLE}: a slow Redis makes senders retry rather than grow the node's heap.
 *
 * <p><b>Failures.</b> When Redis cannot be reached every operation fails with {@code
 * UNAVAILABLE}; nothing is acknowledged that was not recorded. A send that failed after its
 * record was written is finished later by a sweep, so a client's resend with its client id finds
 * it. The pool reconnects by itself; the store logs once when Redis goes and once when it comes
 * back.
 *
 * <p><b>What is kept.</b> Like the embedded store, history is kept in full; a group's history
 * goes with the group. Multi-key changes that span slots (deleting an account, invitations, the
 * indexes for listing) are done in steps ordered so that a crash between them leaves an extra
 * index entry, which reads filter out, never a missing one.
 */
public final class RedisChatStore implements ChatStore {
  private static final Logger log = LoggerFactory.getLogger(RedisChatStore.class);

  /** Message ids a node takes from the counter at once. */
  static final int ID_BLOCK = 256;
  /** Most messages in one insert call: a fan-out that has more to catch up splits its calls. */
  static final int MAX_INSERT_BATCH = 64;
  /** Most recipients whose inserts go in one pipeline. */
  static final int FAN_OUT_CHUNK = 256;
  /** Most index entries looked at per sweep turn. */
  static final int SWEEP_BATCH = 100;
  /** Most account names looked at by one {@link #listAccounts} call. */
  static final int MAX_LIST_SCAN = 100_000;
  /** Most account names looked at for one client page ({@link #accountPage}). */
  static final int PAGE_SCAN = 10_000;
  /** Account names read from the index per round trip. */
  private static final int LIST_CHUNK = 1_000;
  /**
   * Most unfinished fan-outs of one conversation. Past it a send is refused rather than making
   * every later send of the conversation carry a longer backlog.
   */
  static final int MAX_PENDING_FAN_OUTS = 256;
  /**
   * Most finished fan-outs whose pending records wait to be dropped; past it a record stays for
   * the sweep, which finds its inserts done.
   */
  static final int MAX_QUEUED_DROPS = 10_000;
  /** Most pending records dropped in one pipelined round trip. */
  static final int DROP_BATCH = 256;
  private static final int LANES = 64;

  private final UnifiedJedis redis;
  private final String description;
  private final ScheduledExecutorService executor;
  private final boolean ownsExecutor;
  private final Clock clock;
  private final Duration sweepGrace;
  private final int maxQueued;
  private final long maxQueuedBytes;
  private final SerializingExecutor[] lanes = new SerializingExecutor[LANES];
  private final AtomicInteger queued = new AtomicInteger();
  /** Estimated heap held by appends accepted and not yet completed. */
  private final java.util.concurrent.atomic.AtomicLong queuedBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ScheduledFuture<?> sweeper;
  /** Sender account ids for the de-duplication key; a deleted name is dropped here at once. */
  private final Cache<String, Long> accountIds =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterWrite(Duration.ofSeconds(5))
          .executor(Runnable::run)
          .build();

  private final Object idLock = new Object();
  private long nextId;
  private long lastId = -1;

  /** For tests: a fan-out stops (as if the node died) after this many recipients; -1 never. */
  private volatile int stopFanOutAfter = -1;
  private volatile int maxPendingFanOuts = MAX_PENDING_FAN_OUTS;
  private volatile int maxQueuedDrops = MAX_QUEUED_DROPS;

  /** Finished fan-outs whose pending records are still to drop: off the senders' path, batched. */
  private final ConcurrentLinkedQueue<Drop> drops = new ConcurrentLinkedQueue<>();
  /**
   * The fan-outs among {@link #drops} and those being dropped: every insert done, so a send that
   * finds one still pending need not finish it again.
   */
  private final Set<Finished> finished = ConcurrentHashMap.newKeySet();
  private final AtomicInteger dropsQueued = new AtomicInteger();
  private final Runnable dropSoon;

  RedisChatStore(
      UnifiedJedis redis,
      String description,
      ScheduledExecutorService executor,
      boolean ownsExecutor,
      Clock clock,
      Duration sweepEvery,
      Duration sweepGrace,
      int maxQueued,
      long maxQueuedBytes) {
    this.redis = redis;
    this.description = description;
    this.executor = executor;
    this.ownsExecutor = ownsExecutor;
    this.clock = clock;
    this.sweepGrace = sweepGrace;
    this.maxQueued = maxQueued;
    this.maxQueuedBytes = maxQueuedBytes;
    for (int i = 0; i < LANES; i++) {
      lanes[i] = new SerializingExecutor(executor);
    }
    // Drops queued while one batch is in flight go together in the next.
    this.dropSoon = SerializingExecutor.coalescing(new SerializingExecutor(executor), this::dropQueued);
    SerializingExecutor sweepLane = new SerializingExecutor(executor);
    Runnable sweep = SerializingExecutor.coalescing(sweepLane, this::sweepQuietly);
    sweep.run(); // at open: finish what a dead node left
    long every = sweepEvery.toMillis();
    this.sweeper = executor.scheduleWithFixedDelay(sweep, every, every, TimeUnit.MILLISECONDS);
  }

  /** A builder; see {@link RedisChatStoreBuilder}. */
  public static RedisChatStoreBuilder builder() {
    return new RedisChatStoreBuilder();
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] b(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  private static String str(Object o) {
    if (o == null) {
      return null;
    }
    return o instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : o.toString();
  }

  private static long num(Object o) {
    if (o instanceof Long l) {
      return l;
    }
    String s = str(o);
    return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
  }

  private static List<byte[]> keys(String... keys) {
    List<byte[]> out = new ArrayList<>(keys.length);
    for (String k : keys) {
      out.add(b(k));
    }
    return out;
  }

  private static List<byte[]> args(Object... args) {
    List<byte[]> out = new ArrayList<>(args.length);
    for (Object a : args) {
      out.add(a instanceof byte[] bytes ? bytes : b(String.valueOf(a)));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  /** Runs one step against Redis, mapping its failures to the store's error codes. */
  private <T> T redis(Supplier<T> step) {
    try {
      T result = step.get();
      if (down.get() && down.compareAndSet(true, false)) {
        dropIdleConnections();
        log.info("Redis at {} is reachable again; the store is serving", description);
      }
      return result;
    } catch (JedisBusyException e) {
      throw unavailable(e);
    } catch (JedisDataException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("LOADING")) {
        // A restarted Redis answers LOADING until its AOF is read back: not there yet.
        throw unavailable(e);
      }
      throw new ChatException(ErrorCode.INTERNAL, "Redis refused a store operation.", e);
    } catch (JedisException e) {
      throw unavailable(e);
    }
  }

  /**
   * Closes the pooled connections nobody is using, when Redis goes away and again when it is
   * back: after a Redis restart each of them is dead and would fail the next operation that
   * borrows it, one user's request at a time, long after Redis returned. (A Redis Cluster client
   * retries on its own.)
   */
  private void dropIdleConnections() {
    if (redis instanceof RedisClient single) {
      try {
        single.getPool().clear();
      } catch (RuntimeException e) {
        log.debug("clearing the idle Redis connections failed", e);
      }
    }
  }

  private ChatException unavailable(JedisException e) {
    if (down.compareAndSet(false, true)) {
      dropIdleConnections();
      log.warn("Redis at {} is unreachable; store operations fail until it returns: {}",
          description, e.toString());
    }
    return ChatException.unavailable("Storage is unavailable; try again shortly.");
  }

  private Object call(RedisScript script, List<byte[]> keys, List<byte[]> args) {
    return redis(() -> script.call(redis, keys, args));
  }

  private static ChatException noUser(String user) {
    return ChatException.notFound("No such user: " + user + ".");
  }

  private static ChatException noGroup(String group) {
    return ChatException.notFound("No such group: " + group + ".");
  }

  // ---- accounts ---------------------------------------------------------------------------------

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    String u = RedisKeys.user(user);
    if (redis(() -> redis.exists(u + RedisKeys.ACCOUNT))) {
      throw ChatException.exists("User already exists: " + user + ".");
    }
    long id = redis(() -> redis.incr(RedisKeys.ACCOUNT_IDS));
    // The index first: a crash after it leaves a name that listing skips, never a hidden account.
    redis(() -> redis.zadd(RedisKeys.ACCOUNTS, 0, user));
    if (passwordHash != null) {
      redis(() -> redis.sadd(RedisKeys.PASSWORD_ACCOUNTS, user));
    }
    long made =
        num(
            call(
                Scripts.CREATE_ACCOUNT,
                keys(u + RedisKeys.ACCOUNT),
                args(id, createdAt.getEpochSecond(), createdAt.getNano(),
                    passwordHash == null ? "" : passwordHash)));
    if (made == 0) {
      throw ChatException.exists("User already exists: " + user + ".");
    }
    accountIds.put(user, id);
    return new AccountRecord(id, user, passwordHash, createdAt);
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    List<String> f =
        redis(() -> redis.hmget(RedisKeys.user(user) + RedisKeys.ACCOUNT, "id", "sec", "ns", "pw"));
    if (f.get(0) == null) {
      return Optional.empty();
    }
    return Optional.of(
        new AccountRecord(
            Long.parseLong(f.get(0)),
            user,
            f.get(3),
            Instant.ofEpochSecond(Long.parseLong(f.get(1)), Long.parseLong(f.get(2)))));
  }

  private long accountId(String user) {
    Long id = accountIds.getIfPresent(user);
    if (id != null) {
      return id;
    }
    String s = redis(() -> redis.hget(RedisKeys.user(user) + RedisKeys.ACCOUNT, "id"));
    if (s == null) {
      return 0;
    }
    long found = Long.parseLong(s);
    accountIds.put(user, found);
    return found;
  }

  @Override
  public boolean deleteAccount(String user) {
    String u = RedisKeys.user(user);
    if (!redis(() -> redis.exists(u + RedisKeys.ACCOUNT))) {
      return false;
    }
    // Memberships and invitations go first, so that a crash in between leaves an account that
    // still exists (a retry finishes it), never a group listing a member who does not.
    leaveEverything(
        user,
        redis(() -> redis.zrange(u + RedisKeys.GROUPS, 0, -1)),
        redis(() -> redis.hkeys(u + RedisKeys.INVITES_HELD)),
        redis(() -> redis.zrange(u + RedisKeys.INVITES_SENT, 0, -1)));
    Object r =
        call(
            Scripts.DELETE_ACCOUNT,
            keys(
                u + RedisKeys.ACCOUNT,
                u + RedisKeys.GROUPS,
                u + RedisKeys.INVITES_HELD,
                u + RedisKeys.INVITES_SENT,
                u + RedisKeys.INBOX,
                u + RedisKeys.BOX,
                u + RedisKeys.WATERMARKS),
            args());
    accountIds.invalidate(user);
    if (!(r instanceof List<?>)) {
      return false; // deleted meanwhile by another node
    }
    List<Object> left = list(r);
    // whatever was added while we were leaving
    leaveEverything(user, strings(left.get(0)), new HashSet<>(strings(left.get(1))), strings(left.get(2)));
    redis(() -> redis.zrem(RedisKeys.ACCOUNTS, user));
    redis(() -> redis.srem(RedisKeys.PASSWORD_ACCOUNTS, user));
    return true;
  }

  private static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    for (Object e : list(o)) {
      out.add(str(e));
    }
    return out;
  }

  private void leaveEverything(
      String user, List<String> groups, Set<String> invitedTo, List<String> sent) {
    for (String g : groups) {
      removeMember(g, user, true);
    }
    for (String g : invitedTo) {
      String p = RedisKeys.group(g);
      String by = str(call(Scripts.DROP_INVITE, keys(p + RedisKeys.INVITES), args(user, "")));
      if (!by.isEmpty()) {
        redis(() -> redis.zrem(RedisKeys.user(by) + RedisKeys.INVITES_SENT, g + "\t" + user));
      }
    }
    for (String s : sent) {
      int tab = s.indexOf('\t');
      String g = s.substring(0, tab);
      String invitee = s.substring(tab + 1);
      String by =
          str(call(Scripts.DROP_INVITE, keys(RedisKeys.group(g) + RedisKeys.INVITES), args(invitee, user)));
      if (!by.isEmpty()) {
        redis(() -> redis.hdel(RedisKeys.user(invitee) + RedisKeys.INVITES_HELD, g));
      }
    }
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    return scanAccounts(glob, after, limit, MAX_LIST_SCAN).names();
  }

  /**
   * Stops early, with a cursor, after looking at {@link #PAGE_SCAN} names: a glob with a
   * wildcard before its first literal matches over the whole index, and one client call must not
   * make Redis send it all.
   */
  @Override
  public AccountPage accountPage(String glob, String after, int limit) {
    if (limit <= 0) {
      return new AccountPage(List.of(), null);
    }
    AccountPage found = scanAccounts(glob, after, limit + 1, PAGE_SCAN);
    if (found.names().size() > limit) {
      List<String> names = found.names().subList(0, limit);
      return new AccountPage(names, names.get(limit - 1));
    }
    return found;
  }

  /**
   * Up to {@code limit} existing names matching {@code glob} after {@code after}, looking at no
   * more than {@code budget} names of the index; {@code next} is the last name looked at if the
   * budget ran out first, else null.
   */
  private AccountPage scanAccounts(String glob, String after, int limit, int budget) {
    if (limit <= 0) {
      return new AccountPage(List.of(), null);
    }
    // A literal prefix bounds the range; the rest of the glob filters what the range holds.
    int wild = 0;
    while (wild < glob.length() && glob.charAt(wild) != '*' && glob.charAt(wild) != '?') {
      wild++;
    }
    String prefix = glob.substring(0, wild);
    String from = after == null || after.compareTo(prefix) < 0 ? "[" + prefix : "(" + after;
    String to = prefix.isEmpty() ? "+" : "[" + prefix + Character.MAX_VALUE;
    List<String> out = new ArrayList<>();
    int scanned = 0;
    int chunk = Math.max(limit, LIST_CHUNK);
    while (out.size() < limit) {
      int want = Math.min(chunk, budget - scanned);
      String start = from;
      List<String> names =
          redis(() -> redis.zrangeByLex(RedisKeys.ACCOUNTS, start, to, 0, want));
      if (names.isEmpty()) {
        break;
      }
      scanned += names.size();
      List<String> matching = new ArrayList<>();
      for (String n : names) {
        if (Names.globMatches(glob, n)) {
          matching.add(n);
        }
      }
      if (!matching.isEmpty()) {
        List<Boolean> exist = existing(matching);
        for (int i = 0; i < matching.size() && out.size() < limit; i++) {
          if (exist.get(i)) {
            out.add(matching.get(i));
          }
        }
      }
      if (names.size() < want) {
        break; // the end of the range
      }
      String last = names.get(names.size() - 1);
      if (scanned >= budget && out.size() < limit) {
        return new AccountPage(out, last);
      }
      from = "(" + last;
    }
    return new AccountPage(out, null);
  }

  /** Whether each of {@code users} has an account, in one pipeline. */
  private List<Boolean> existing(List<String> users) {
    return redis(
        () -> {
          try (AbstractPipeline p = redis.pipelined()) {
            List<Response<Boolean>> rs = new ArrayList<>(users.size());
            for (String n : users) {
              rs.add(p.exists(RedisKeys.user(n) + RedisKeys.ACCOUNT));
            }
            p.sync();
            return rs.stream().map(Response::get).toList();
          }
        });
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    Objects.requireNonNull(bundle, "bundle");
    long ok =
        num(call(Scripts.PUT_KEYS, keys(RedisKeys.user(user) + RedisKeys.ACCOUNT), args(bundle)));
    if (ok == 0) {
      throw noUser(user);
    }
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    byte[] k = redis(() -> redis.hget(b(RedisKeys.user(user) + RedisKeys.ACCOUNT), b("keys")));
    return Optional.ofNullable(k);
  }

  @Override
  public long passwordAccounts() {
    return redis(() -> redis.scard(RedisKeys.PASSWORD_ACCOUNTS));
  }

  @Override
  public Optional<AuthMode> recordedAuthMode() {
    String s = redis(() -> redis.get(RedisKeys.AUTH_MODE));
    return Optional.ofNullable(s == null ? null : AuthMode.valueOf(s));
  }

  @Override
  public void recordAuthMode(AuthMode mode) {
    Objects.requireNonNull(mode, "mode");
    redis(() -> redis.set(RedisKeys.AUTH_MODE, mode.name()));
  }

  // ---- groups -----------------------------------------------------------------------------------

  private static List<byte[]> groupKeys(String group) {
    String p = RedisKeys.group(group);
    return keys(p + RedisKeys.META, p + RedisKeys.MEMBERS, p + RedisKeys.INVITES);
  }

  @Override
  public GroupRecord createGroup(String group, String owner, GroupPolicy policy, Instant createdAt) {
    String p = RedisKeys.group(group);
    if (redis(() -> redis.exists(p + RedisKeys.META))) {
      throw ChatException.exists("Group already exists: " + group + ".");
    }
    if (!redis(() -> redis.exists(RedisKeys.user(owner) + RedisKeys.ACCOUNT))) {
      throw noUser(owner);
    }
    long id = redis(() -> redis.incr(RedisKeys.GROUP_IDS));
    redis(() -> redis.hset(RedisKeys.GROUP_NAMES, Long.toString(id), group));
    String groupsKey = RedisKeys.user(owner) + RedisKeys.GROUPS;
    boolean listed = redis(() -> redis.zadd(groupsKey, 0, group)) == 0; // see addMember
    long made =
        num(
            call(
                Scripts.CREATE_GROUP,
                keys(p + RedisKeys.META, p + RedisKeys.MEMBERS),
                args(id, createdAt.getEpochSecond(), createdAt.getNano(),
                    policy.open() ? 1 : 0, policy.sharedHistory() ? 1 : 0, owner)));
    if (made == 0) {
      redis(() -> redis.hdel(RedisKeys.GROUP_NAMES, Long.toString(id)));
      if (!listed) {
        redis(() -> redis.zrem(groupsKey, group));
      }
      throw ChatException.exists("Group already exists: " + group + ".");
    }
    return findGroup(group).orElseThrow(() -> noGroup(group));
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    List<byte[]> k = groupKeys(group);
    return Optional.ofNullable(groupRecord(group, call(Scripts.READ_GROUP, k.subList(0, 2), args())));
  }

  private static GroupRecord groupRecord(String group, Object read) {
    List<Object> parts = list(read);
    Map<String, String> meta = pairs(parts.get(0));
    if (meta.isEmpty()) {
      return null;
    }
    Map<String, String> members = pairs(parts.get(1));
    List<MemberRecord> roster = new ArrayList<>(members.size());
    for (var e : new TreeMap<>(members).entrySet()) {
      String[] f = e.getValue().split("\t", 3);
      roster.add(
          new MemberRecord(e.getKey(), GroupRole.valueOf(f[0]), Long.parseLong(f[1]),
              Long.parseLong(f[2])));
    }
    return new GroupRecord(
        Long.parseLong(meta.get("id")),
        group,
        new GroupPolicy("1".equals(meta.get("open")), "1".equals(meta.get("shared"))),
        roster,
        Instant.ofEpochSecond(Long.parseLong(meta.get("sec")), Long.parseLong(meta.get("ns"))));
  }

  private static Map<String, String> pairs(Object flat) {
    List<Object> l = list(flat);
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < l.size(); i += 2) {
      out.put(str(l.get(i)), str(l.get(i + 1)));
    }
    return out;
  }

  @Override
  public boolean addMember(
      String group, String user, GroupRole role, long since, int maxGroupSize) {
    if (!redis(() -> redis.exists(RedisKeys.group(group) + RedisKeys.META))) {
      throw noGroup(group);
    }
    if (!redis(() -> redis.exists(RedisKeys.user(user) + RedisKeys.ACCOUNT))) {
      throw noUser(user);
    }
    // The user's index of groups first: an inbox takes a group's messages only while it lists
    // the group, so a message sent the moment the member is added must find it there.
    String groupsKey = RedisKeys.user(user) + RedisKeys.GROUPS;
    boolean listed = redis(() -> redis.zadd(groupsKey, 0, group)) == 0;
    Object r =
        call(
            Scripts.ADD_MEMBER,
            groupKeys(group),
            args(user, role.name(), since == NOW ? -1 : since == SHARED ? -2 : since,
                maxGroupSize, RedisKeys.group(group)));
    if (r instanceof Long code) {
      if (!listed) {
        redis(() -> redis.zrem(groupsKey, group));
      }
      if (code == -1) {
        throw noGroup(group);
      }
      throw ChatException.invalid("Group " + group + " is full (" + maxGroupSize + " members).");
    }
    List<Object> l = list(r);
    // and again after: a removal racing this add may have unlisted it in between
    redis(() -> redis.zadd(groupsKey, 0, group));
    String by = str(l.get(1));
    if (!by.isEmpty()) {
      forgetInvite(group, user, by);
    }
    return num(l.get(0)) == 1;
  }

  private void forgetInvite(String group, String invitee, String by) {
    redis(() -> redis.hdel(RedisKeys.user(invitee) + RedisKeys.INVITES_HELD, group));
    redis(() -> redis.zrem(RedisKeys.user(by) + RedisKeys.INVITES_SENT, group + "\t" + invitee));
  }

  @Override
  public boolean removeMember(String group, String user) {
    return removeMember(group, user, false);
  }

  private boolean removeMember(String group, String user, boolean succession) {
    Object r =
        call(Scripts.REMOVE_MEMBER, groupKeys(group),
            args(user, succession ? 1 : 0, RedisKeys.group(group)));
    if (r instanceof Long) {
      if (succession) {
        redis(() -> redis.zrem(RedisKeys.user(user) + RedisKeys.GROUPS, group));
        return false;
      }
      throw noGroup(group);
    }
    List<Object> l = list(r);
    String groupsKey = RedisKeys.user(user) + RedisKeys.GROUPS;
    redis(() -> redis.zrem(groupsKey, group));
    if (num(l.get(1)) == 0
        && redis(() -> redis.hexists(RedisKeys.group(group) + RedisKeys.MEMBERS, user))) {
      // added again on another node meanwhile: its inbox must keep taking the group's messages
      redis(() -> redis.zadd(groupsKey, 0, group));
    }
    if (num(l.get(1)) == 1) {
      String id = str(l.get(2));
      redis(() -> redis.hdel(RedisKeys.GROUP_NAMES, id));
      pairs(l.get(3)).forEach((invitee, v) -> forgetInvite(group, invitee, v.split("\t", 2)[0]));
    }
    return num(l.get(0)) == 1;
  }

  @Override
  public boolean setRole(String group, String user, GroupRole role) {
    long r = num(call(Scripts.SET_ROLE, groupKeys(group).subList(0, 2), args(user, role.name())));
    if (r == -1) {
      throw noGroup(group);
    }
    return r == 1;
  }

  @Override
  public void setPolicy(String group, GroupPolicy policy) {
    long r =
        num(
            call(
                Scripts.SET_POLICY,
                groupKeys(group).subList(0, 1),
                args(policy.open() ? 1 : 0, policy.sharedHistory() ? 1 : 0, RedisKeys.group(group))));
    if (r == -1) {
      throw noGroup(group);
    }
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    String key = RedisKeys.user(user) + RedisKeys.GROUPS;
    List<GroupRecord> out = new ArrayList<>();
    String from = after == null ? "-" : "(" + after;
    for (int rounds = 0; rounds < 100 && out.size() < limit; rounds++) {
      String start = from;
      int want = limit - out.size();
      List<String> names = redis(() -> redis.zrangeByLex(key, start, "+", 0, want));
      if (names.isEmpty()) {
        break;
      }
      for (GroupRecord g : groups(names)) {
        if (g != null && g.member(user) != null) {
          out.add(g);
        }
      }
      if (names.size() < want) {
        break;
      }
      from = "(" + names.get(names.size() - 1);
    }
    return out;
  }

  /** The groups named, read in one pipeline; null for one that is gone. */
  private List<GroupRecord> groups(List<String> names) {
    return redis(
        () -> {
          List<List<byte[]>> ks = new ArrayList<>();
          List<Response<Object>> rs = new ArrayList<>();
          try (AbstractPipeline p = redis.pipelined()) {
            for (String n : names) {
              List<byte[]> k = groupKeys(n).subList(0, 2);
              ks.add(k);
              rs.add(Scripts.READ_GROUP.queue(p, k, List.of()));
            }
            p.sync();
          }
          List<GroupRecord> out = new ArrayList<>(names.size());
          for (int i = 0; i < names.size(); i++) {
            out.add(groupRecord(names.get(i),
                Scripts.READ_GROUP.result(rs.get(i), redis, ks.get(i), List.of())));
          }
          return out;
        });
  }

  @Override
  public List<String> invite(
      String group, List<String> users, String by, Instant at, int maxGroupSize) {
    List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(users));
    if (distinct.size() > Limits.MAX_INVITES_PER_CALL) {
      throw ChatException.invalid(
          "At most " + Limits.MAX_INVITES_PER_CALL + " invitations at once.");
    }
    if (!redis(() -> redis.exists(RedisKeys.group(group) + RedisKeys.META))) {
      throw noGroup(group);
    }
    List<Boolean> exist = existing(distinct);
    for (int i = 0; i < distinct.size(); i++) {
      if (!exist.get(i)) {
        throw noUser(distinct.get(i));
      }
    }
    List<String> fresh = inviteScript(group, distinct, by, at, maxGroupSize, true);
    if (fresh.isEmpty()) {
      return List.of();
    }
    // Each bound is checked and written in one script in the slot that holds it (the inviter's,
    // the group's, each invitee's), in that order, and undone on a later refusal: concurrent
    // inviters on any number of nodes cannot take any of them past its bound.
    String sentKey = RedisKeys.user(by) + RedisKeys.INVITES_SENT;
    List<Object> sentArgs = new ArrayList<>(fresh.size() + 1);
    sentArgs.add(2 * maxGroupSize);
    for (String u : fresh) {
      sentArgs.add(group + "\t" + u);
    }
    Object reserved = call(Scripts.RESERVE_SENT, keys(sentKey), args(sentArgs.toArray()));
    if (reserved instanceof Long) {
      throw ChatException.invalid(ChatStore.tooManySent(2 * maxGroupSize));
    }
    List<String> sentAdded = strings(reserved);
    List<String> invited;
    try {
      invited = inviteScript(group, fresh, by, at, maxGroupSize, false);
    } catch (RuntimeException e) {
      unsend(sentKey, sentAdded);
      throw e;
    }
    String value = by + "\t" + at.getEpochSecond() + "\t" + at.getNano();
    List<Object> held = holdInvites(group, invited, by, value);
    String refused = null;
    for (int i = 0; i < invited.size() && refused == null; i++) {
      long code = num(held.get(i));
      if (code == -1) {
        refused = invited.get(i) + " has too many pending invitations.";
      } else if (code == -2) {
        refused = invited.get(i) + " has too many pending invitations from you.";
      }
    }
    if (refused != null) {
      // all or nothing, as when the bounds are checked before any write
      for (int i = 0; i < invited.size(); i++) {
        String u = invited.get(i);
        call(Scripts.DROP_INVITE, keys(RedisKeys.group(group) + RedisKeys.INVITES), args(u, by));
        if (num(held.get(i)) == 1) {
          call(Scripts.DROP_IF, keys(RedisKeys.user(u) + RedisKeys.INVITES_HELD), args(group, value));
        }
      }
      unsend(sentKey, sentAdded);
      throw ChatException.invalid(refused);
    }
    if (invited.size() < fresh.size()) {
      // invited by someone else meanwhile: not this inviter's to count
      List<String> mine = new ArrayList<>(sentAdded);
      for (String u : invited) {
        mine.remove(group + "\t" + u);
      }
      unsend(sentKey, mine);
    }
    return invited;
  }

  /** Records each invitation in its invitee's slot, in one pipeline; each one's script result. */
  private List<Object> holdInvites(String group, List<String> invitees, String by, String value) {
    if (invitees.isEmpty()) {
      return List.of();
    }
    return redis(
        () -> {
          List<List<byte[]>> ks = new ArrayList<>();
          List<List<byte[]>> as = new ArrayList<>();
          List<Response<Object>> rs = new ArrayList<>();
          try (AbstractPipeline p = redis.pipelined()) {
            for (String u : invitees) {
              List<byte[]> k = keys(RedisKeys.user(u) + RedisKeys.INVITES_HELD);
              List<byte[]> a =
                  args(group, value, Limits.MAX_PENDING_INVITES,
                      Limits.MAX_PENDING_INVITES_PER_INVITER, by);
              ks.add(k);
              as.add(a);
              rs.add(Scripts.RESERVE_HELD.queue(p, k, a));
            }
            p.sync();
          }
          List<Object> out = new ArrayList<>(rs.size());
          for (int i = 0; i < rs.size(); i++) {
            out.add(Scripts.RESERVE_HELD.result(rs.get(i), redis, ks.get(i), as.get(i)));
          }
          return out;
        });
  }

  private void unsend(String sentKey, List<String> members) {
    if (!members.isEmpty()) {
      redis(() -> redis.zrem(sentKey, members.toArray(String[]::new)));
    }
  }

  private List<String> inviteScript(
      String group, List<String> users, String by, Instant at, int max, boolean dryRun) {
    if (users.isEmpty()) {
      return List.of();
    }
    List<Object> a = new ArrayList<>(List.of(max, by, at.getEpochSecond(), at.getNano(), dryRun ? 1 : 0));
    a.addAll(users);
    Object r = call(Scripts.INVITE, groupKeys(group), args(a.toArray()));
    if (r instanceof Long code) {
      if (code == -1) {
        throw noGroup(group);
      }
      throw ChatException.invalid(
          "Group " + group + " would exceed " + max + " members and invitations.");
    }
    return strings(r);
  }

  @Override
  public List<GroupInvite> invitesOf(String user) {
    Map<String, String> held = redis(() -> redis.hgetAll(RedisKeys.user(user) + RedisKeys.INVITES_HELD));
    if (held.isEmpty()) {
      return List.of();
    }
    List<String> groups = new ArrayList<>(held.keySet());
    List<String> current =
        redis(
            () -> {
              try (AbstractPipeline p = redis.pipelined()) {
                List<Response<String>> rs = new ArrayList<>();
                for (String g : groups) {
                  rs.add(p.hget(RedisKeys.group(g) + RedisKeys.INVITES, user));
                }
                p.sync();
                return rs.stream().map(Response::get).toList();
              }
            });
    List<GroupInvite> out = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      String v = held.get(groups.get(i));
      if (v.equals(current.get(i))) {
        String[] f = v.split("\t", 3);
        out.add(new GroupInvite(groups.get(i), f[0],
            Instant.ofEpochSecond(Long.parseLong(f[1]), Long.parseLong(f[2]))));
      }
    }
    out.sort(Comparator.comparing(GroupInvite::at));
    return out;
  }

  @Override
  public boolean deleteInvite(String group, String user) {
    String by =
        str(call(Scripts.DROP_INVITE, keys(RedisKeys.group(group) + RedisKeys.INVITES), args(user, "")));
    if (by.isEmpty()) {
      return false;
    }
    forgetInvite(group, user, by);
    return true;
  }

  // ---- messages ---------------------------------------------------------------------------------

  /** Where a conversation's keys live: the group's slot for a group, its own for a direct one. */
  private static String conversationPrefix(Recipient to, String conversation) {
    return to instanceof Recipient.Group g
        ? RedisKeys.group(g.name())
        : RedisKeys.direct(conversation);
  }

  /** What follows a conversation key's part name: nothing for a group's one conversation. */
  private static String suffix(String prefix, String conversation) {
    return prefix.startsWith("sp:{g:") ? "" : conversation;
  }

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    Objects.requireNonNull(draft, "draft");
    CompletableFuture<Appended> result = new CompletableFuture<>();
    if (closed.get()) {
      result.completeExceptionally(ChatException.unavailable("The store is closed."));
      return result;
    }
    long bytes = heapEstimate(draft);
    if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
      queuedBytes.addAndGet(-bytes);
      result.completeExceptionally(
          ChatException.unavailable("The store is busy; try again shortly."));
      return result;
    }
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      result.completeExceptionally(
          ChatException.unavailable("The store is busy; try again shortly."));
      return result;
    }
    SerializingExecutor lane = lanes[Math.floorMod(draft.from().hashCode(), LANES)];
    try {
      lane.execute(
          () -> {
            queued.decrementAndGet();
            try {
              result.complete(appendNow(draft));
            } catch (RuntimeException e) {
              result.completeExceptionally(ChatException.wrap(e));
            } finally {
              queuedBytes.addAndGet(-bytes);
            }
          });
    } catch (RejectedExecutionException e) {
      queued.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      result.completeExceptionally(ChatException.unavailable("The store is closed."));
    }
    return result;
  }

  /**
   * What an append holds on the heap until it completes: its body (twice, as the draft and as
   * its stored form) and its recipients' names. An estimate, for {@code maxQueuedBytes}.
   */
  static long heapEstimate(Draft d) {
    long body =
        d.body() instanceof spartan.core.MessageBody.Text t
            ? 2L * t.text().length()
            : d.body() instanceof spartan.core.MessageBody.Sealed s ? s.length() : 0;
    return 256 + 2 * body + 64L * d.recipients().size();
  }

  /** For tests: the estimated bytes of appends accepted and not yet completed. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  private long nextMessageId() {
    synchronized (idLock) {
      if (nextId > lastId) {
        long high = redis(() -> redis.incrBy(RedisKeys.MESSAGE_IDS, ID_BLOCK));
        nextId = high - ID_BLOCK + 1;
        lastId = high;
      }
      return nextId++;
    }
  }

  /** Another node wrote {@code newest} in a conversation: ids below it are spent. */
  private void idsOlderThan(long newest) {
    synchronized (idLock) {
      if (nextId <= newest) {
        lastId = -1;
        nextId = 0;
      }
    }
  }

  private Appended appendNow(Draft d) {
    String prefix = conversationPrefix(d.to(), d.conversation());
    String conv = d.conversation();
    String sfx = suffix(prefix, conv);
    String pendingKey = prefix + RedisKeys.PENDING + sfx;
    List<byte[]> k =
        keys(prefix + RedisKeys.CONVERSATION + sfx, prefix + RedisKeys.HISTORY + sfx,
            pendingKey, prefix + RedisKeys.META);
    // a group's conversation is g:<id>: the record checks that the group is still that one
    String groupId =
        d.to() instanceof Recipient.Group && conv.matches("g:\\d+") ? conv.substring(2) : "";
    String dedup = d.clientMsgId() == null ? "" : "c:" + d.from() + "\t" + d.clientMsgId();
    long sender = d.clientMsgId() == null ? 0 : accountId(d.from());
    String recipients = String.join("\n", d.recipients());
    for (int attempt = 0; attempt < 8; attempt++) {
      long id = nextMessageId();
      Message m = new Message(id, d.from(), d.to(), d.body(), d.sentAt(), d.clientMsgId());
      byte[] blob = MessageCodec.encode(m);
      List<byte[]> a = args(id, dedup, sender, blob, recipients, maxPendingFanOuts, groupId);
      String member = prefix + "\n" + conv;
      List<Object> r =
          list(
              redis(
                  () -> {
                    // Finished fan-outs' drops ride along: a busy node's senders clear them
                    // without a round trip of their own (the drop lane takes what is left).
                    Map<String, List<byte[]>> drops = takeDrops();
                    try (AbstractPipeline p = redis.pipelined()) {
                      Runnable dropped = queueDrops(p, drops);
                      // the index entry before (or beside) the record: a sweep must find it
                      p.zadd(RedisKeys.FAN_OUTS, clock.millis(), member);
                      Response<Object> q = Scripts.RECORD.queue(p, k, a);
                      p.sync();
                      dropped.run();
                      return Scripts.RECORD.result(q, redis, k, a);
                    } finally {
                      forgetFinished(drops);
                    }
                  }));
      long status = num(r.get(0));
      if (status == -1) {
        idsOlderThan(num(r.get(1)));
        continue;
      }
      if (status == -3) {
        throw noGroup(d.to().name());
      }
      if (status == -2) {
        throw ChatException.unavailable(
            "Too many deliveries of this conversation are unfinished; try again shortly.");
      }
      List<Long> pending = new ArrayList<>();
      for (Object p : list(r.get(3))) {
        long earlier = num(p);
        if (!finished.contains(new Finished(pendingKey, earlier))) {
          pending.add(earlier); // not known here to be finished: finish it before this one
        }
      }
      if (status == 0) {
        Message original = MessageCodec.decode((byte[]) r.get(2));
        if (!pending.isEmpty()) {
          finishPending(prefix, conv, pending, null);
        }
        return new Appended(original, List.of(), List.of(), true);
      }
      pending.remove(id);
      return finishPending(prefix, conv, pending, new Pending(m, blob, d.recipients()));
    }
    throw ChatException.unavailable("Too many concurrent sends in this conversation; try again.");
  }

  /** A fan-out to do: the message, its stored form and who gets it. */
  private record Pending(Message message, byte[] blob, List<String> recipients) {}

  /**
   * Finishes the pending fan-outs {@code earlier} of a conversation and then {@code current}
   * (null for none), in id order, and drops their pending records. Returns the current
   * message's deliveries.
   */
  private Appended finishPending(String prefix, String conv, List<Long> earlier, Pending current) {
    // An earlier fan-out matters to this one only where they share a recipient: each inbox must
    // get a conversation's messages in id order. A reply racing the message it answers does not.
    List<Pending> todo =
        new ArrayList<>(
            loadPending(prefix, conv, earlier,
                current == null ? null : new HashSet<>(current.recipients())));
    if (current != null) {
      todo.add(current);
    }
    todo.sort(Comparator.comparingLong(p -> p.message().id()));
    Map<String, Set<String>> liveOn = new HashMap<>();
    Map<String, Long> seqs = fanOut(conv, todo, current, liveOn);
    long[] ids = todo.stream().mapToLong(p -> p.message().id()).toArray();
    if (current != null && todo.size() == 1) {
      // Off the sender's path, riding with a later record or batched with other sends' drops
      // (see dropQueued): a record left behind
      // (queue full, Redis gone, node dead) only costs a later sender or the sweep idempotent
      // inserts. It is never sent with the inserts: dropped before they are known to have run
      // (a refused or unknown script, another cluster node), the fan-out would be lost.
      queueDrop(prefix + RedisKeys.PENDING + suffix(prefix, conv), ids);
    } else {
      dropPending(prefix, conv, ids);
    }
    if (current == null) {
      return null;
    }
    List<Delivery> deliveries = new ArrayList<>(seqs.size());
    List<String> recipients = new ArrayList<>(seqs.size());
    Map<String, Set<String>> live = new HashMap<>();
    for (String r : current.recipients()) {
      Long seq = seqs.get(r);
      if (seq != null && seq > 0) {
        deliveries.add(new Delivery(seq, current.message()));
        recipients.add(r);
        Set<String> nodes = liveOn.get(r);
        if (nodes != null) {
          live.put(r, nodes);
        }
      }
    }
    return new Appended(current.message(), deliveries, recipients, false, live);
  }

  /**
   * The pending fan-outs {@code ids} still recorded, with their messages, in two pipelined round
   * trips: all of them if {@code relevant} is null, else those sharing a recipient with {@code
   * relevant} or with another fan-out taken in (the set grows as they are).
   */
  private List<Pending> loadPending(
      String prefix, String conv, List<Long> ids, Set<String> relevant) {
    if (ids.isEmpty()) {
      return List.of();
    }
    String pendingKey = prefix + RedisKeys.PENDING + suffix(prefix, conv);
    List<byte[]> historyKey = keys(prefix + RedisKeys.HISTORY + suffix(prefix, conv));
    List<Long> newestFirst = new ArrayList<>(ids);
    newestFirst.sort(Comparator.reverseOrder());
    String[] fields = newestFirst.stream().map(String::valueOf).toArray(String[]::new);
    List<String> recipients = redis(() -> redis.hmget(pendingKey, fields));
    List<Long> wanted = new ArrayList<>();
    List<List<String>> to = new ArrayList<>();
    // Newest first, so that a fan-out taken in brings in the earlier ones of its recipients too.
    for (int i = 0; i < newestFirst.size(); i++) {
      String r = recipients.get(i);
      if (r == null) {
        continue; // finished meanwhile, or its group is gone
      }
      List<String> names = r.isEmpty() ? List.of() : List.of(r.split("\n"));
      if (relevant == null || names.stream().anyMatch(relevant::contains)) {
        wanted.add(newestFirst.get(i));
        to.add(names);
        if (relevant != null) {
          relevant.addAll(names);
        }
      }
    }
    if (wanted.isEmpty()) {
      return List.of();
    }
    List<Object> ranges =
        redis(
            () -> {
              List<List<byte[]>> as = new ArrayList<>();
              List<Response<Object>> rs = new ArrayList<>();
              try (AbstractPipeline p = redis.pipelined()) {
                for (long id : wanted) {
                  List<byte[]> a = args(id + "-0", id + "-0", 1);
                  as.add(a);
                  rs.add(Scripts.RANGE.queue(p, historyKey, a));
                }
                p.sync();
              }
              List<Object> out = new ArrayList<>(rs.size());
              for (int i = 0; i < rs.size(); i++) {
                out.add(Scripts.RANGE.result(rs.get(i), redis, historyKey, as.get(i)));
              }
              return out;
            });
    List<Pending> out = new ArrayList<>(wanted.size());
    for (int i = 0; i < wanted.size(); i++) {
      List<Object> entries = list(ranges.get(i));
      if (entries.isEmpty()) {
        continue;
      }
      byte[] blob = entryValue(entries.get(0));
      out.add(new Pending(MessageCodec.decode(blob), blob, to.get(i)));
    }
    return out;
  }

  private static byte[] entryValue(Object entry) {
    List<Object> e = list(entry); // [id, [field, value]]
    return (byte[]) list(e.get(1)).get(1);
  }

  /**
   * Inserts each message into each of its recipients' inboxes, in id order, one script per
   * recipient, pipelined. Returns the sequence each recipient of {@code current} got, and puts
   * in {@code liveOn} the nodes each recipient had live streams on as its insert ran.
   */
  private Map<String, Long> fanOut(
      String conv, List<Pending> todo, Pending current, Map<String, Set<String>> liveOn) {
    Map<String, List<Pending>> byRecipient = new LinkedHashMap<>();
    for (Pending p : todo) {
      for (String r : p.recipients()) {
        byRecipient.computeIfAbsent(r, x -> new ArrayList<>()).add(p);
      }
    }
    Map<String, Long> seqs = new HashMap<>();
    List<String> recipients = new ArrayList<>(byRecipient.keySet());
    int stopAfter = stopFanOutAfter;
    if (stopAfter >= 0 && stopAfter < recipients.size()) {
      recipients = recipients.subList(0, stopAfter);
    }
    for (int from = 0; from < recipients.size(); from += FAN_OUT_CHUNK) {
      List<String> chunk = recipients.subList(from, Math.min(recipients.size(), from + FAN_OUT_CHUNK));
      insertChunk(conv, chunk, byRecipient, current, seqs, liveOn);
    }
    if (stopAfter >= 0 && stopAfter < byRecipient.size()) {
      throw new IllegalStateException("test hook: fan-out stopped after " + stopAfter);
    }
    return seqs;
  }

  private void insertChunk(
      String conv,
      List<String> chunk,
      Map<String, List<Pending>> byRecipient,
      Pending current,
      Map<String, Long> seqs,
      Map<String, Set<String>> liveOn) {
    // Each call carries at most MAX_INSERT_BATCH messages; a long backlog takes several rounds.
    int rounds = 0;
    for (String r : chunk) {
      rounds = Math.max(rounds, (byRecipient.get(r).size() + MAX_INSERT_BATCH - 1) / MAX_INSERT_BATCH);
    }
    for (int round = 0; round < rounds; round++) {
      int skip = round * MAX_INSERT_BATCH;
      List<String> who = new ArrayList<>();
      List<List<byte[]>> ks = new ArrayList<>();
      List<List<byte[]>> as = new ArrayList<>();
      List<List<Pending>> sent = new ArrayList<>();
      for (String r : chunk) {
        List<Pending> mine = byRecipient.get(r);
        if (mine.size() <= skip) {
          continue;
        }
        List<Pending> batch = mine.subList(skip, Math.min(mine.size(), skip + MAX_INSERT_BATCH));
        String u = RedisKeys.user(r);
        ks.add(keys(u + RedisKeys.ACCOUNT, u + RedisKeys.INBOX, u + RedisKeys.BOX,
            u + RedisKeys.WATERMARKS, u + RedisKeys.GROUPS, RedisKeys.presence(r)));
        List<byte[]> a = new ArrayList<>(2 + 2 * batch.size());
        a.add(b(conv));
        a.add(b(batch.get(0).message().to() instanceof Recipient.Group g ? g.name() : ""));
        for (Pending p : batch) {
          a.add(b(p.message().id()));
          a.add(p.blob());
        }
        as.add(a);
        who.add(r);
        sent.add(batch);
      }
      List<Object> results =
          redis(
              () -> {
                List<Response<Object>> rs = new ArrayList<>(who.size());
                try (AbstractPipeline p = redis.pipelined()) {
                  for (int i = 0; i < who.size(); i++) {
                    rs.add(Scripts.INSERT.queue(p, ks.get(i), as.get(i)));
                  }
                  p.sync();
                }
                List<Object> out = new ArrayList<>(who.size());
                for (int i = 0; i < who.size(); i++) {
                  out.add(Scripts.INSERT.result(rs.get(i), redis, ks.get(i), as.get(i)));
                }
                return out;
              });
      for (int i = 0; i < who.size(); i++) {
        List<Object> got = list(results.get(i));
        if (num(got.get(0)) == -1) {
          continue; // the account is gone
        }
        List<Pending> batch = sent.get(i);
        for (int j = 0; j < batch.size(); j++) {
          if (batch.get(j) == current) {
            seqs.put(who.get(i), num(got.get(j)));
          }
        }
        liveOn.put(who.get(i), new HashSet<>(strings(got.get(batch.size()))));
      }
    }
  }

  private void dropPending(String prefix, String conv, long[] ids) {
    if (ids.length == 0) {
      return;
    }
    List<byte[]> a = new ArrayList<>(ids.length);
    for (long id : ids) {
      a.add(b(id));
    }
    call(Scripts.DONE, keys(prefix + RedisKeys.PENDING + suffix(prefix, conv)), a);
  }

  /** A finished fan-out whose pending record is to drop: the pending hash and message ids. */
  private record Drop(String pendingKey, long[] ids) {}

  /** One finished fan-out: its conversation's pending hash and its message id. */
  private record Finished(String pendingKey, long id) {}

  private void queueDrop(String pendingKey, long[] ids) {
    if (dropsQueued.incrementAndGet() > maxQueuedDrops) {
      dropsQueued.decrementAndGet();
      return; // the sweep finds the inserts done and drops it
    }
    for (long id : ids) {
      finished.add(new Finished(pendingKey, id));
    }
    drops.add(new Drop(pendingKey, ids));
    try {
      dropSoon.run();
    } catch (RejectedExecutionException closing) {
      // the sweep of whichever store runs next drops it
    }
  }

  /** Drops the queued pending records, one script per conversation, pipelined per batch. */
  private void dropQueued() {
    while (!closed.get()) {
      Map<String, List<byte[]>> batch = takeDrops();
      if (batch.isEmpty()) {
        return;
      }
      try {
        redis(
            () -> {
              try (AbstractPipeline p = redis.pipelined()) {
                Runnable read = queueDrops(p, batch);
                p.sync();
                read.run();
              }
              return null;
            });
      } catch (RuntimeException e) {
        log.debug("finished fan-outs stay recorded until the next sweep", e);
      } finally {
        forgetFinished(batch);
      }
    }
  }

  /** Dropped, or left for whoever next finds them pending: inserting again is harmless. */
  private void forgetFinished(Map<String, List<byte[]>> batch) {
    batch.forEach((key, ids) -> ids.forEach(id -> finished.remove(new Finished(key, num(id)))));
  }

  /** Takes up to {@link #DROP_BATCH} queued drops: message ids by pending hash. */
  private Map<String, List<byte[]>> takeDrops() {
    Map<String, List<byte[]>> byKey = new LinkedHashMap<>();
    Drop d;
    for (int taken = 0; taken < DROP_BATCH && (d = drops.poll()) != null; taken++) {
      dropsQueued.decrementAndGet();
      List<byte[]> ids = byKey.computeIfAbsent(d.pendingKey(), k -> new ArrayList<>());
      for (long id : d.ids()) {
        ids.add(b(id));
      }
    }
    return byKey;
  }

  /**
   * Queues {@code batch}'s drops in {@code p}; the step returned reads their replies once the
   * pipeline is synced. A drop Redis refuses is left to the sweep.
   */
  private Runnable queueDrops(AbstractPipeline p, Map<String, List<byte[]>> batch) {
    if (batch.isEmpty()) {
      return () -> {};
    }
    List<List<byte[]>> ks = new ArrayList<>(batch.size());
    List<List<byte[]>> as = new ArrayList<>(batch.size());
    List<Response<Object>> rs = new ArrayList<>(batch.size());
    batch.forEach(
        (key, ids) -> {
          List<byte[]> k = keys(key);
          ks.add(k);
          as.add(ids);
          rs.add(Scripts.DONE.queue(p, k, ids));
        });
    return () -> {
      for (int i = 0; i < rs.size(); i++) {
        try {
          Scripts.DONE.result(rs.get(i), redis, ks.get(i), as.get(i));
        } catch (JedisDataException e) {
          log.debug("a finished fan-out stays recorded until the next sweep", e);
        }
      }
    };
  }

  /**
   * Finishes fan-outs that nobody has touched for the grace period: those a dead node (or a
   * failed Redis call) left. Returns how many conversations it looked at.
   */
  int sweep() {
    long before = clock.millis() - sweepGrace.toMillis();
    List<Tuple> due =
        redis(
            () ->
                redis.zrangeWithScores(
                    RedisKeys.FAN_OUTS,
                    ZRangeParams.zrangeByScoreParams(Double.NEGATIVE_INFINITY, before)
                        .limit(0, SWEEP_BATCH)));
    for (Tuple t : due) {
      String member = t.getElement();
      int nl = member.indexOf('\n');
      String prefix = member.substring(0, nl);
      String conv = member.substring(nl + 1);
      try {
        List<Long> ids = new ArrayList<>();
        for (String id :
            redis(() -> redis.hkeys(prefix + RedisKeys.PENDING + suffix(prefix, conv)))) {
          ids.add(Long.parseLong(id));
        }
        if (!ids.isEmpty()) {
          finishPending(prefix, conv, ids, null);
        }
        call(Scripts.FORGET, keys(RedisKeys.FAN_OUTS), args(member, (long) t.getScore()));
      } catch (ChatException e) {
        if (e.code() == ErrorCode.UNAVAILABLE) {
          throw e; // Redis is away: the next sweep tries again
        }
        // One conversation that cannot be finished must not hold up the others.
        log.warn("cannot finish the fan-outs of conversation {}: {}", conv, e.getMessage());
      }
    }
    return due.size();
  }

  private void sweepQuietly() {
    if (closed.get()) {
      return;
    }
    try {
      // a bounded turn: entries that cannot be finished stay due and must not spin it
      for (int turn = 0; turn < 10 && !closed.get() && sweep() == SWEEP_BATCH; turn++) {
        // more are due
      }
    } catch (RuntimeException e) {
      log.debug("fan-out sweep failed; the next one retries", e);
    }
  }

  /** The connection, for {@link EmbeddedToRedis}. */
  UnifiedJedis redis() {
    return redis;
  }

  /** For tests: a lower {@link #MAX_QUEUED_DROPS}. */
  void maxQueuedDrops(int max) {
    this.maxQueuedDrops = max;
  }

  /** For tests: a lower {@link #MAX_PENDING_FAN_OUTS}. */
  void maxPendingFanOuts(int max) {
    this.maxPendingFanOuts = max;
  }

  /** For tests: stop every fan-out after {@code recipients} inserts, as a dying node would. */
  void stopFanOutAfter(int recipients) {
    this.stopFanOutAfter = recipients;
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    Object r =
        call(
            Scripts.RANGE,
            keys(RedisKeys.user(user) + RedisKeys.INBOX),
            args("(" + afterSeq + "-0", "+", limit));
    List<Delivery> out = new ArrayList<>();
    for (Object e : list(r)) {
      String id = str(list(e).get(0));
      long seq = Long.parseLong(id.substring(0, id.indexOf('-')));
      out.add(new Delivery(seq, MessageCodec.decode(entryValue(e))));
    }
    return out;
  }

  @Override
  public long lastSeq(String user) {
    return num(redis(() -> redis.hget(RedisKeys.user(user) + RedisKeys.BOX, "last")));
  }

  /** Pipelined, {@link #FAN_OUT_CHUNK} users a round trip. */
  @Override
  public Map<String, Long> lastSeqs(java.util.Collection<String> users) {
    List<String> all = List.copyOf(users);
    Map<String, Long> out = new HashMap<>();
    for (int from = 0; from < all.size(); from += FAN_OUT_CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + FAN_OUT_CHUNK));
      List<String> lasts =
          redis(
              () -> {
                List<Response<String>> rs = new ArrayList<>(chunk.size());
                try (AbstractPipeline p = redis.pipelined()) {
                  for (String u : chunk) {
                    rs.add(p.hget(RedisKeys.user(u) + RedisKeys.BOX, "last"));
                  }
                  p.sync();
                }
                return rs.stream().map(Response::get).toList();
              });
      for (int i = 0; i < chunk.size(); i++) {
        out.put(chunk.get(i), num(lasts.get(i)));
      }
    }
    return out;
  }

  @Override
  public void ack(String user, long upToSeq) {
    String u = RedisKeys.user(user);
    call(Scripts.ACK, keys(u + RedisKeys.BOX, u + RedisKeys.INBOX), args(upToSeq));
  }

  @Override
  public long ackedSeq(String user) {
    return num(redis(() -> redis.hget(RedisKeys.user(user) + RedisKeys.BOX, "acked")));
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    String prefix;
    if (conversation.startsWith("g:")) {
      String group = redis(() -> redis.hget(RedisKeys.GROUP_NAMES, conversation.substring(2)));
      if (group == null) {
        return List.of();
      }
      prefix = RedisKeys.group(group);
    } else {
      prefix = RedisKeys.direct(conversation);
    }
    Object r =
        call(
            Scripts.REV_RANGE,
            keys(prefix + RedisKeys.HISTORY + suffix(prefix, conversation)),
            args(beforeId > 0 ? "(" + beforeId + "-0" : "+", "-", limit));
    List<Message> out = new ArrayList<>();
    for (Object e : list(r)) {
      out.add(MessageCodec.decode(entryValue(e)));
    }
    java.util.Collections.reverse(out);
    return out;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    sweeper.cancel(false);
    if (ownsExecutor) {
      executor.shutdown();
      try {
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          log.warn("store tasks still running after 10 s; closing Redis under them");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    redis.close();
  }

  @Override
  public String toString() {
    return "RedisChatStore[" + description + "]";
  }
}
