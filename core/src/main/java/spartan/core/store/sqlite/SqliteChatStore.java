package spartan.core.store.sqlite;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.spi.ChatMetrics;
import spartan.core.store.ChatStore;

/**
 * A durable {@link ChatStore} in one SQLite file, {@value #FILE_NAME}, under a data directory,
 * in WAL mode.
 *
 * <p><b>Writes</b> go through one writer, the only user of the write connection. Every write
 * (appends, and also account, group and ack changes) is queued; the writer drains the queue on
 * the injected {@link Executor} when it goes non-empty, runs everything pending in <em>one</em>
 * transaction (each write in its own savepoint, so one failing write does not fail its batch),
 * commits, and only then completes the futures, in commit order. This is group commit: under
 * load a commit carries many messages, so durability does not cap throughput at one commit per
 * message. Nothing polls: an idle store holds no thread. {@link #append} returns the future; the
 * other writes wait for their commit. Callbacks attached to an {@code append} future run on the
 * callbacks executor given to {@link #open(Path, Executor, Sync, Executor)}, one batch at a time
 * in commit order, or on the writer thread if none was given (then they must be quick). Message
 * ids and inbox sequences are assigned by the writer from counters it keeps in memory ({@link
 * WriterState}), so an append reads nothing back.
 *
 * <p>The WAL is checkpointed by {@link Checkpointer} on a thread of its own, so no commit waits
 * for a checkpoint's copying and fsync.
 *
 * <p><b>Reads</b> run on the caller's thread on a small pool of read-only connections, one per
 * concurrent reader (WAL lets readers run beside the writer without blocking it); a reader sees
 * every write whose future has completed.
 *
 * <p><b>Durability.</b> A completed future means the transaction is committed to the WAL. With
 * {@link Sync#NORMAL} (the default) that survives the server process being killed at any
 * instant, {@code kill -9} included, because the WAL is written before the commit returns and
 * SQLite recovers it on the next open; only an OS crash or power loss can lose the last commits
 * (never corrupt the file). {@link Sync#FULL} adds that last guarantee at the price of an fsync
 * per commit — per batch, thanks to group commit.
 *
 * <p>One process at a time: {@link #open} takes an OS lock on {@code spartan.lock} in the data
 * directory and refuses a directory another server is using. Thread-safe; no method accepts
 * null except where {@link ChatStore} says so. Failures are {@link ChatException}s: {@code
 * ALREADY_EXISTS} and {@code NOT_FOUND} as the contract says, {@code UNAVAILABLE} for I/O, a busy
 * or full disk, overload or a closed store, {@code INTERNAL} for anything else; the SQL cause is
 * kept on the exception and logged, never put in its message.
 *
 * <p>This class only routes each call to its side and its SQL: the writer is {@link
 * GroupCommitWriter}, the read side {@link ReaderPool}, the SQL one class per aggregate ({@link
 * AccountSql}, {@link GroupSql}, {@link MessageSql}, {@link MetaSql}), the mapping of SQLite's
 * errors {@link ErrorClassifier}, the schema and its migrations {@link SqliteSchema}, and the
 * directory's permissions and lock {@link DataDirectory}.
 */
public final class SqliteChatStore implements ChatStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteChatStore.class);

  /** The database file's name inside the data directory. */
  public static final String FILE_NAME = "spartan.db";

  /**
   * How commits reach the disk: SQLite's {@code PRAGMA synchronous} in WAL mode.
   *
   * <p>{@link #NORMAL} is the default because what a chat server meets in practice is a crashed
   * or killed process, which it survives completely, and it costs no fsync on the send path. A
   * deployment that must also keep the last acknowledged messages through a power cut or kernel
   * panic picks {@link #FULL}; group commit keeps that to one fsync per batch, not per message.
   */
  public enum Sync {
    /**
     * No fsync on commit (only at checkpoints). Acknowledged writes survive a crash or {@code
     * kill -9} of the process; an OS crash or power loss may roll back the last commits.
     */
    NORMAL,
    /** The WAL is fsync'ed on every commit: acknowledged writes survive power loss too. */
    FULL
  }

  private final Path file;
  private final GroupCommitWriter writer;
  private final ReaderPool readers;

  /**
   * Accounts found, by name, so the lookup every send makes for its recipient is not a read.
   * Only an account's deletion changes what {@link #findAccount} answers for a name it found
   * (nothing updates a record), so a deletion removes the name, and a read that raced a deletion
   * ({@link #deletions} moved while it ran) does not fill it in. Holds at most {@link
   * #maxCachedAccounts}; past that, lookups of names not held are reads again.
   */
  private final ConcurrentHashMap<String, AccountRecord> accounts = new ConcurrentHashMap<>();

  private final AtomicLong deletions = new AtomicLong();
  private final int maxCachedAccounts;

  /**
   * Members (and groups, one each) the group cache holds at most: 262,144 (tens of megabytes of
   * names), fewer on a small heap, so that at about 128 bytes a member it takes at most 1/32 of it.
   */
  static final long MAX_CACHED_MEMBERS =
      Math.min(262_144, Math.max(1_024, Runtime.getRuntime().maxMemory() / 32 / 128));

  /**
   * Groups found, by name, so the membership every group send needs (the roster, a thousand
   * members' names in a big group) is not read back on each one. Every change to a group or a
   * roster ({@link #changingGroups}) drops the name after its commit, and a read that raced a
   * change ({@link #groupChanges} moved while it ran) does not fill it in: the same rule as the
   * account cache. Bounded by members, not only by groups.
   */
  private final Cache<String, GroupRecord> groups =
      Caffeine.newBuilder()
          .maximumWeight(MAX_CACHED_MEMBERS)
          .weigher((String name, GroupRecord g) -> 1 + g.roster().size())
          .executor(Runnable::run)
          .build();

  private final AtomicLong groupChanges = new AtomicLong();

  /** Largest message (by {@link Message#approximateBytes}) kept in {@link #recent}. */
  static final int RECENT_MAX_BYTES = 1024;

  /**
   * Slots of {@link #recent}, a power of two: 32,768 (32 MiB of messages at most), fewer on a
   * small heap, so that full they take at most 1/32 of it.
   */
  static final int RECENT_SLOTS = recentSlots(Runtime.getRuntime().maxMemory());

  static int recentSlots(long maxHeap) {
    long fit = Long.highestOneBit(Math.max(1, maxHeap / 32 / RECENT_MAX_BYTES));
    return (int) Math.min(1 << 15, Math.max(256, fit));
  }

  /**
   * Messages stored for someone away ({@link #readLater}), in a slot by id (ids are handed out in
   * order, so the slots hold the newest), so reading an inbox (a drain at login, a stream
   * catching up) reads only its (sequence, message id) rows and takes each message from here
   * rather than reading all of its columns back and building it again. Messages never change and
   * ids are never reused, so a slot holding the id asked for is never stale; a miss reads the row.
   * Only messages someone will read back: filled with every message, at 40,000 msg/s each one
   * outlived a young collection, whose pauses went from 1 to 17 ms. An array rather than a cache
   * library: a slot costs one store, a Caffeine put with a weigher more than a microsecond.
   */
  private final AtomicReferenceArray<Message> recent = new AtomicReferenceArray<>(RECENT_SLOTS);

  @Override
  public void readLater(Message m) {
    if (m.approximateBytes() <= RECENT_MAX_BYTES) {
      recent.lazySet((int) (m.id() & (RECENT_SLOTS - 1)), m);
    }
  }

  private Message recent(long id) {
    Message m = recent.get((int) (id & (RECENT_SLOTS - 1)));
    return m != null && m.id() == id ? m : null;
  }

  private SqliteChatStore(
      Path file,
      Executor executor,
      Executor callbacks,
      DataDirectory directory,
      Handle w,
      int maxCachedAccounts) {
    this.file = file;
    this.maxCachedAccounts = maxCachedAccounts;
    ErrorClassifier errors = new ErrorClassifier(file);
    this.readers = new ReaderPool("jdbc:sqlite:" + file, errors);
    Checkpointer checkpointer = new Checkpointer("jdbc:sqlite:" + file);
    this.writer =
        new GroupCommitWriter(
            w,
            executor,
            callbacks,
            checkpointer,
            errors,
            () -> {
              checkpointer.close();
              readers.close();
              directory.release();
              log.debug("Message store {} closed", file);
            });
  }

  /** Opens (creating if needed) the store in {@code dataDir} with {@link Sync#NORMAL}. */
  public static SqliteChatStore open(Path dataDir, Executor writer) {
    return open(dataDir, writer, Sync.NORMAL);
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}, creating or upgrading its schema.
   *
   * @param writer runs the writer's drains; one task at a time is ever submitted, so any executor
   *     works, but it should not be an event loop: a drain blocks on disk I/O
   * @throws ChatException {@code UNAVAILABLE} if the directory or file cannot be opened, or
   *     another process is using it
   * @throws IllegalStateException if the file was written by a newer Spartan (its schema version
   *     is higher than this build knows)
   */
  public static SqliteChatStore open(Path dataDir, Executor writer, Sync sync) {
    return open(dataDir, writer, sync, null);
  }

  /**
   * Opens the store as {@link #open(Path, Executor, Sync)} does, completing {@link #append}'s
   * futures on {@code callbacks} rather than on the writer thread: one task per committed batch,
   * the batches in commit order, so the writer hands each batch off and goes on writing.
   *
   * @param callbacks runs the completions of append futures (and so whatever is chained to them);
   *     null completes them on the writer thread
   */
  public static SqliteChatStore open(Path dataDir, Executor writer, Sync sync, Executor callbacks) {
    return open(dataDir, writer, sync, callbacks, new WriterState(WriterState.MAX_ACCOUNTS));
  }

  /**
   * Opens with the writer keeping its counters in {@code state}, and at most {@code
   * state.maxAccounts()} accounts cached for reads; tests give a small bound.
   */
  static SqliteChatStore open(
      Path dataDir, Executor writer, Sync sync, Executor callbacks, WriterState state) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(sync, "sync");
    Path dir = dataDir.toAbsolutePath();
    Path file = dir.resolve(FILE_NAME);
    DataDirectory directory = null;
    Handle w = null;
    try {
      directory = DataDirectory.lock(dir, file);
      w = new Handle(Handle.connect("jdbc:sqlite:" + file, false), state);
      configureWriter(w.connection, sync, file);
      SqliteSchema.migrate(w.connection, file);
      // From now on the write connection is always in a (deferred) transaction that the writer
      // commits per batch: with auto-commit on, the driver tries a BEGIN after every statement
      // to check the mode, which cost as much as some of the statements.
      w.connection.setAutoCommit(false);
      return new SqliteChatStore(file, writer, callbacks, directory, w, state.maxAccounts());
    } catch (IOException | SQLException | RuntimeException e) {
      if (w != null) {
        w.close();
      }
      if (directory != null) {
        directory.release();
      }
      if (e instanceof ChatException || e instanceof IllegalStateException) {
        throw (RuntimeException) e;
      }
      throw new ChatException(
          ErrorCode.UNAVAILABLE, "Cannot open the message store at " + file + ": " + e, e);
    }
  }

  /** The write connection's page cache, native memory outside the Java heap. */
  static final long WRITER_CACHE_BYTES = 32L << 20;

  private static void configureWriter(Connection c, Sync sync, Path file) throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
        String mode = rs.next() ? rs.getString(1) : "?";
        if (!"wal".equalsIgnoreCase(mode)) {
          throw new ChatException(
              ErrorCode.UNAVAILABLE,
              "The message store at " + file + " cannot use WAL mode (got " + mode + ").");
        }
      }
      // NORMAL in WAL mode: a commit is in the WAL (the OS's page cache) before it returns, so a
      // killed process loses nothing acknowledged; FULL also fsyncs the WAL on each commit,
      // which is what it takes to survive an OS crash or power cut. See Sync.
      s.execute("PRAGMA synchronous=" + sync.name());
      s.execute("PRAGMA foreign_keys=ON");
      // Checkpoints run on their own connection and thread (Checkpointer), never inside the
      // writer's commit; the WAL file is cut back to 64 MiB after one.
      s.execute("PRAGMA wal_autocheckpoint=0");
      s.execute("PRAGMA journal_size_limit=" + (64L << 20));
      // A transaction whose dirty pages outgrow the page cache spills them into the WAL before
      // its commit, and writes them again at the commit: a batch of messages to big groups
      // touches a page of inbox rows per few members. SQLite's default cache is 2 MiB.
      s.execute("PRAGMA cache_size=-" + (WRITER_CACHE_BYTES >> 10));
      // A statement that changes many rows inside a transaction keeps the pages it changed in a
      // statement journal, to undo itself alone; past 64 KiB SQLite puts that journal in a
      // temporary file, and a multi-row INSERT of inbox rows for a big group went through the
      // kernel for it. In memory it is a copy.
      s.execute("PRAGMA temp_store=MEMORY");
    }
  }

  /**
   * An account's last inbox sequence, as SQL over the {@code account} row aliased {@code a}: what
   * the store derives it from (the {@code last_seq} column is only a floor), for tools that read
   * the file themselves.
   */
  public static final String LAST_SEQ_SQL = WriterState.LAST_SEQ;

  /** The schema version this build creates and reads. */
  public static int schemaVersion() {
    return SqliteSchema.VERSION;
  }

  /** Queues {@code task} on the writer like any write; for tests of a write failing midway. */
  <T> CompletableFuture<T> submit(SqlTask<T> task) {
    return writer.submit(task);
  }

  /** Writes queued and not yet completed; for tests. */
  int pendingWrites() {
    return writer.pendingWrites();
  }

  /** The database file. */
  public Path file() {
    return file;
  }

  // ---- accounts and meta --------------------------------------------------------------------

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(createdAt, "createdAt");
    return writer.write(h -> AccountSql.create(h, user, passwordHash, createdAt));
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    return readThrough(
        accounts.get(user),
        deletions,
        () -> readers.read(h -> AccountSql.find(h, user)),
        a -> {
          if (accounts.size() < maxCachedAccounts) {
            accounts.put(user, a);
          }
        },
        () -> accounts.remove(user));
  }

  /**
   * A read through one of the lookup caches, whose entries {@code changes} guards: a write that
   * could make an entry wrong moves it after its commit and then drops the entry, so a read that
   * raced such a write (the counter moved while it ran) must leave nothing behind. {@code cached}
   * is the cache's answer, null for none; {@code keep} fills the cache, {@code drop} undoes that.
   */
  private static <V> Optional<V> readThrough(
      V cached, AtomicLong changes, Supplier<Optional<V>> read, Consumer<V> keep, Runnable drop) {
    if (cached != null) {
      return Optional.of(cached);
    }
    long before = changes.get();
    Optional<V> found = read.get();
    if (found.isPresent() && changes.get() == before) {
      keep.accept(found.get());
      if (changes.get() != before) {
        drop.run(); // a change committed meanwhile and may have missed this entry
      }
    }
    return found;
  }

  /** Accounts held by the lookup cache; for tests. */
  int cachedAccounts() {
    return accounts.size();
  }

  @Override
  public long passwordAccounts() {
    return readers.read(AccountSql::passwordAccounts);
  }

  @Override
  public Optional<AuthMode> recordedAuthMode() {
    return readers.read(MetaSql::recordedAuthMode);
  }

  @Override
  public void recordAuthMode(AuthMode mode) {
    Objects.requireNonNull(mode, "mode");
    writer.write(h -> MetaSql.recordAuthMode(h, mode));
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    writer.write(h -> AccountSql.putKeys(h, user, bundle));
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    return readers.read(h -> AccountSql.findKeys(h, user));
  }

  @Override
  public boolean deleteAccount(String user) {
    try {
      return writer.write(h -> AccountSql.delete(h, user));
    } finally {
      deletions.incrementAndGet();
      accounts.remove(user);
      // Its memberships went by cascade, and ownership may have passed on: which groups is
      // known only inside the write, and deletions are rare, so all of them.
      groupChanges.incrementAndGet();
      groups.invalidateAll();
    }
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    Objects.requireNonNull(glob, "glob");
    if (limit <= 0) {
      return List.of();
    }
    return readers.read(h -> AccountSql.list(h, glob, after, limit));
  }

  // ---- groups -------------------------------------------------------------------------------

  @Override
  public GroupRecord createGroup(
      String group, String owner, GroupPolicy policy, Instant createdAt) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(createdAt, "createdAt");
    return changingGroups(group, h -> GroupSql.create(h, group, owner, policy, createdAt));
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    return readThrough(
        groups.getIfPresent(group),
        groupChanges,
        () -> readers.read(h -> GroupSql.find(h, group)),
        g -> groups.put(group, g),
        () -> groups.invalidate(group));
  }

  /** Groups held by the lookup cache; for tests. */
  long cachedGroups() {
    groups.cleanUp();
    return groups.estimatedSize();
  }

  /** Runs a write that changes {@code group} or its roster, then drops the group's cache entry. */
  private <T> T changingGroups(String group, SqlTask<T> task) {
    try {
      return writer.write(task);
    } finally {
      groupChanges.incrementAndGet();
      groups.invalidate(group);
    }
  }

  @Override
  public boolean addMember(
      String group, String user, GroupRole role, long since, int maxGroupSize) {
    return changingGroups(
        group, h -> GroupSql.addMember(h, group, user, role, since, maxGroupSize));
  }

  @Override
  public boolean removeMember(String group, String user) {
    return changingGroups(group, h -> GroupSql.removeMember(h, group, user));
  }

  @Override
  public boolean setRole(String group, String user, GroupRole role) {
    return changingGroups(group, h -> GroupSql.setRole(h, group, user, role));
  }

  @Override
  public void setPolicy(String group, GroupPolicy policy) {
    changingGroups(group, h -> GroupSql.setPolicy(h, group, policy));
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return readers.read(h -> GroupSql.groupsOf(h, user, after, limit));
  }

  @Override
  public List<String> invite(
      String group, List<String> users, String by, Instant at, int maxGroupSize) {
    return writer.write(h -> GroupSql.invite(h, group, users, by, at, maxGroupSize));
  }

  @Override
  public List<GroupInvite> invitesOf(String user) {
    return readers.read(h -> GroupSql.invitesOf(h, user));
  }

  @Override
  public boolean deleteInvite(String group, String user) {
    return writer.write(h -> GroupSql.deleteInvite(h, group, user));
  }

  // ---- messages, inboxes, history -----------------------------------------------------------

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    Objects.requireNonNull(draft, "draft");
    return writer.submit(new AppendTask(draft));
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return readers.read(h -> MessageSql.inbox(h, user, afterSeq, limit, this::recent));
  }

  @Override
  public long lastSeq(String user) {
    return readers.read(h -> MessageSql.lastSeq(h, user));
  }

  @Override
  public void ack(String user, long upToSeq) {
    writer.write(h -> MessageSql.ack(h, user, upToSeq));
  }

  @Override
  public long ackedSeq(String user) {
    return readers.read(h -> MessageSql.ackedSeq(h, user));
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return readers.read(h -> MessageSql.history(h, conversation, beforeId, limit));
  }

  // ---- metrics ------------------------------------------------------------------------------

  /**
   * Reports each commit's size and duration to {@code metrics} from now on ({@link
   * ChatMetrics#NONE} until called). Called on the writer thread, after the commit and before
   * the futures complete.
   */
  public void reportTo(ChatMetrics metrics) {
    writer.reportTo(metrics);
  }

  /**
   * Inbox entries not yet acknowledged, over all users (acked entries are dropped). One count
   * over the inbox table: cheap enough to sample now and then, not to call per message.
   */
  public long undeliveredCount() {
    return readers.read(MessageSql::undelivered);
  }

  // ---- close --------------------------------------------------------------------------------

  /**
   * Stops taking writes, waits until every write already queued has committed (or failed) and
   * its future completed, then closes the connections and releases the directory lock. Writes
   * and reads after that fail with {@code UNAVAILABLE}. Idempotent; concurrent callers all wait,
   * except a call from a completion callback on the writer thread, which cannot wait for the
   * writer and returns at once (the close then completes when the callback returns).
   */
  @Override
  public void close() {
    writer.close();
  }
}
