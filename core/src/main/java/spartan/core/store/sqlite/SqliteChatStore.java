package spartan.core.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;

/**
 * A durable {@link ChatStore} in one SQLite file, {@value #FILE_NAME}, under a data directory,
 * in WAL mode.
 *
 * <p><b>Writes</b> go through one writer, the only user of the write connection. Every write
 * (appends, and also account, group and ack changes) is queued; the writer drains the queue on
 * the injected {@link Executor} when it goes non-empty, runs everything pending in <em>one</em>
 * transaction (each write in its own savepoint, so one failing write does not fail its batch),
 * commits, and only then completes the futures, in commit order, on the writer thread. This is
 * group commit: under load a commit carries many messages, so durability does not cap throughput
 * at one commit per message. Nothing polls: an idle store holds no thread. {@link #append}
 * returns the future; the other writes wait for their commit. Callbacks attached to an {@code
 * append} future run on the writer thread and must be quick.
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
 */
public final class SqliteChatStore implements ChatStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteChatStore.class);

  /** The database file's name inside the data directory. */
  public static final String FILE_NAME = "spartan.db";

  private static final String LOCK_NAME = "spartan.lock";

  /** Most writes one transaction carries, so futures keep completing under sustained load. */
  static final int MAX_BATCH = 1024;

  /**
   * Most writes queued and not yet committed. Beyond this the store is overloaded and says so
   * rather than growing the queue without bound.
   */
  static final int MAX_PENDING = 65_536;

  /** Idle read connections kept open; more are opened on demand and closed when returned. */
  /**
   * Reads in flight at once, each on its own read-only connection, all kept for reuse. Without a
   * cap, a burst on a few hundred call threads would open (and parse the schema for, and hold a
   * page cache for) a connection per thread; past the cap a read waits, briefly, for a turn.
   */
  private static final int MAX_READERS = 8;

  private static final int MAX_IDLE_READERS = MAX_READERS;

  private static final int BUSY_TIMEOUT_MS = 5_000;

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
  private final String url;
  private final FileChannel lockChannel;
  private final FileLock fileLock;
  private final Handle writeSide;

  // ---- the writer's queue, drained on demand on a SerializingExecutor lane ----------------------
  private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
  /** Asks for a run of {@link #drain} on the writer's lane; coalesces, so one run at a time. */
  private final Runnable wake;
  /** Held by whichever thread drains, the lane or a caller after a rejected hand-off. */
  private final Object draining = new Object();
  private final AtomicInteger pending = new AtomicInteger();
  /** The thread running {@link #drain} now, so re-entrant calls from callbacks do not deadlock. */
  private volatile Thread drainThread;
  /** Touched only by the drain. */
  private boolean writerClosed;

  private volatile boolean closing;
  private volatile spartan.core.spi.ChatMetrics metrics = spartan.core.spi.ChatMetrics.NONE;
  private CompletableFuture<Void> closed; // guarded by this

  // ---- read connections -------------------------------------------------------------------------
  private final ArrayDeque<Handle> idleReaders = new ArrayDeque<>(); // guarded by itself
  private final java.util.concurrent.Semaphore readPermits =
      new java.util.concurrent.Semaphore(MAX_READERS, true);
  private boolean readersClosed; // guarded by idleReaders

  private SqliteChatStore(
      Path file, Executor writer, String url, FileChannel lockChannel, FileLock lock, Handle w) {
    this.file = file;
    this.wake = SerializingExecutor.coalescing(new SerializingExecutor(writer), this::drain);
    this.url = url;
    this.lockChannel = lockChannel;
    this.fileLock = lock;
    this.writeSide = w;
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
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(sync, "sync");
    Path dir = dataDir.toAbsolutePath();
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel = null;
    FileLock lock = null;
    Handle w = null;
    try {
      createPrivately(dir, file);
      channel =
          FileChannel.open(
              dir.resolve(LOCK_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new ChatException(
            ErrorCode.UNAVAILABLE,
            "The data directory " + dir + " is in use by another Spartan store.");
      }
      String url = "jdbc:sqlite:" + file;
      w = new Handle(connect(url, false));
      configureWriter(w.connection, sync, file);
      migrate(w.connection, file);
      return new SqliteChatStore(file, writer, url, channel, lock, w);
    } catch (IOException | SQLException | RuntimeException e) {
      if (w != null) {
        w.close();
      }
      releaseQuietly(lock, channel);
      if (e instanceof ChatException || e instanceof IllegalStateException) {
        throw (RuntimeException) e;
      }
      throw new ChatException(
          ErrorCode.UNAVAILABLE, "Cannot open the message store at " + file + ": " + e, e);
    }
  }

  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");

  /**
   * The data holds message bodies and password hashes: a directory this creates is 0700, and the
   * database and lock files are created 0600 before SQLite opens them (SQLite gives the -wal and
   * -shm files the database file's permissions). An existing directory or database file that
   * others may read is left as the operator made it, with a warning. Nothing is done on a file
   * system without POSIX permissions.
   */
  private static void createPrivately(Path dir, Path file) throws IOException {
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectories(dir);
      return;
    }
    if (Files.isDirectory(dir)) {
      warnIfShared(dir, "directory", "chmod 700");
    } else {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    }
    for (Path f : List.of(file, dir.resolve(LOCK_NAME))) {
      try {
        Files.createFile(f, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
      } catch (java.nio.file.FileAlreadyExistsException exists) {
        if (f.equals(file)) {
          warnIfShared(f, "file", "chmod 600");
        }
      }
    }
  }

  private static void warnIfShared(Path p, String what, String fix) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
    perms.removeAll(what.equals("directory") ? OWNER_ONLY_DIR : OWNER_ONLY_FILE);
    if (!perms.isEmpty()) {
      log.warn(
          "The message store's {} {} is open to other users ({}): it holds message bodies and"
              + " password hashes. Restrict it with: {} {}",
          what, p, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), fix, p);
    }
  }

  private static Connection connect(String url, boolean readOnly) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    config.setReadOnly(readOnly);
    if (!readOnly) {
      config.enforceForeignKeys(true);
    }
    return DriverManager.getConnection(url, config.toProperties());
  }

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
    }
  }

  private static void migrate(Connection c, Path file) throws SQLException {
    int version;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      version = rs.next() ? rs.getInt(1) : 0;
    }
    if (version > SqliteSchema.VERSION) {
      throw new IllegalStateException(
          "The message store at "
              + file
              + " has schema version "
              + version
              + ", newer than this Spartan understands ("
              + SqliteChatStore.schemaVersion()
              + "). Run a newer Spartan, or point the data directory elsewhere.");
    }
    for (int v = version; v < SqliteSchema.VERSION; v++) {
      try (Statement s = c.createStatement()) {
        s.execute("BEGIN IMMEDIATE");
        try {
          for (String sql : SqliteSchema.MIGRATIONS.get(v)) {
            s.execute(sql);
          }
          s.execute("PRAGMA user_version=" + (v + 1));
          s.execute("COMMIT");
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c);
          throw e;
        }
      }
      log.info("Message store {} migrated to schema version {}", file, v + 1);
    }
  }

  /** The schema version this build creates and reads. */
  public static int schemaVersion() {
    return SqliteSchema.VERSION;
  }

  /** Writes queued and not yet completed; for tests. */
  int pendingWrites() {
    return pending.get();
  }

  /** The database file. */
  public Path file() {
    return file;
  }

  // ---- accounts -----------------------------------------------------------------------------------

  @Override
  public AccountRecord createAccount(String user, String passwordHash, Instant createdAt) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(createdAt, "createdAt");
    return write(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "INSERT INTO account(name, password_hash, created_s, created_ns)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING RETURNING id");
          ps.setString(1, user);
          ps.setString(2, passwordHash);
          ps.setLong(3, createdAt.getEpochSecond());
          ps.setInt(4, createdAt.getNano());
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw ChatException.exists("User already exists: " + user + ".");
            }
            return new AccountRecord(rs.getLong(1), user, passwordHash, createdAt);
          }
        });
  }

  @Override
  public Optional<AccountRecord> findAccount(String user) {
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "SELECT id, password_hash, created_s, created_ns FROM account WHERE name = ?");
          ps.setString(1, user);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Optional.empty();
            }
            return Optional.of(
                new AccountRecord(
                    rs.getLong(1), user, rs.getString(2), instant(rs.getLong(3), rs.getInt(4))));
          }
        });
  }

  @Override
  public long passwordAccounts() {
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare("SELECT count(*) FROM account WHERE password_hash IS NOT NULL");
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
          }
        });
  }

  @Override
  public Optional<AuthMode> recordedAuthMode() {
    return read(
        h -> {
          PreparedStatement ps = h.prepare("SELECT value FROM meta WHERE key = 'auth'");
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Optional.empty();
            }
            try {
              return Optional.of(AuthMode.valueOf(rs.getString(1)));
            } catch (IllegalArgumentException unknown) {
              return Optional.empty(); // written by a newer Spartan with more modes
            }
          }
        });
  }

  @Override
  public void recordAuthMode(AuthMode mode) {
    Objects.requireNonNull(mode, "mode");
    write(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "INSERT INTO meta(key, value) VALUES ('auth', ?)"
                      + " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
          ps.setString(1, mode.name());
          ps.executeUpdate();
          return null;
        });
  }

  @Override
  public void putKeys(String user, byte[] bundle) {
    write(
        h -> {
          PreparedStatement ps = h.prepare("UPDATE account SET public_keys = ? WHERE name = ?");
          ps.setBytes(1, bundle.clone());
          ps.setString(2, user);
          if (ps.executeUpdate() == 0) {
            throw ChatException.notFound("No such user: " + user + ".");
          }
          return null;
        });
  }

  @Override
  public Optional<byte[]> findKeys(String user) {
    return read(
        h -> {
          PreparedStatement ps = h.prepare("SELECT public_keys FROM account WHERE name = ?");
          ps.setString(1, user);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.ofNullable(rs.getBytes(1)) : Optional.empty();
          }
        });
  }

  @Override
  public boolean deleteAccount(String user) {
    return write(
        h -> {
          Long id = accountId(h, user);
          if (id == null) {
            return false;
          }
          List<Long> groups = new ArrayList<>();
          PreparedStatement mine = h.prepare("SELECT group_id FROM member WHERE account_id = ?");
          mine.setLong(1, id);
          try (ResultSet rs = mine.executeQuery()) {
            while (rs.next()) {
              groups.add(rs.getLong(1));
            }
          }
          for (long g : groups) {
            GroupRecord record = loadGroup(h, g);
            String heir = record == null ? null : record.successorOf(user);
            if (heir != null) {
              updateRole(h, g, heir, GroupRole.OWNER);
            }
          }
          // Invitations it sent: the name may be taken again, and must not inherit them.
          PreparedStatement sent = h.prepare("DELETE FROM invite WHERE inviter = ?");
          sent.setString(1, user);
          sent.executeUpdate();
          // Inbox rows and memberships go by ON DELETE CASCADE.
          PreparedStatement del = h.prepare("DELETE FROM account WHERE id = ?");
          del.setLong(1, id);
          del.executeUpdate();
          for (long g : groups) {
            deleteGroupIfEmpty(h, g);
          }
          return true;
        });
  }

  @Override
  public List<String> listAccounts(String glob, String after, int limit) {
    Objects.requireNonNull(glob, "glob");
    if (limit <= 0) {
      return List.of();
    }
    return read(
        h -> {
          // Names and normalised patterns exclude '[', so GLOB's only specials are * and ?.
          PreparedStatement ps =
              h.prepare(
                  "SELECT name FROM account WHERE name GLOB ? AND name > ? ORDER BY name LIMIT ?");
          ps.setString(1, glob);
          ps.setString(2, after == null ? "" : after);
          ps.setInt(3, limit);
          List<String> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return out;
        });
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Override
  public GroupRecord createGroup(String group, String owner, GroupPolicy policy, Instant createdAt) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(createdAt, "createdAt");
    return write(
        h -> {
          if (groupId(h, group) != null) {
            throw ChatException.exists("Group already exists: " + group + ".");
          }
          long uid = existingAccount(h, owner);
          PreparedStatement ins =
              h.prepare(
                  "INSERT INTO chat_group(name, created_s, created_ns, is_open, shared_history)"
                      + " VALUES (?, ?, ?, ?, ?) RETURNING id");
          ins.setString(1, group);
          ins.setLong(2, createdAt.getEpochSecond());
          ins.setInt(3, createdAt.getNano());
          ins.setInt(4, policy.open() ? 1 : 0);
          ins.setInt(5, policy.sharedHistory() ? 1 : 0);
          long gid;
          try (ResultSet rs = ins.executeQuery()) {
            rs.next();
            gid = rs.getLong(1);
          }
          insertMember(h, gid, uid, GroupRole.OWNER, NOW);
          return loadGroup(h, gid);
        });
  }

  @Override
  public Optional<GroupRecord> findGroup(String group) {
    return read(
        h -> {
          Long gid = groupId(h, group);
          return gid == null ? Optional.empty() : Optional.ofNullable(loadGroup(h, gid));
        });
  }

  @Override
  public boolean addMember(
      String group, String user, GroupRole role, long since, int maxGroupSize) {
    return write(
        h -> {
          long gid = existingGroup(h, group);
          long uid = existingAccount(h, user);
          PreparedStatement size =
              h.prepare(
                  "SELECT count(*), EXISTS (SELECT 1 FROM member WHERE group_id = ?1"
                      + " AND account_id = ?2) FROM member WHERE group_id = ?1");
          size.setLong(1, gid);
          size.setLong(2, uid);
          try (ResultSet rs = size.executeQuery()) {
            rs.next();
            if (rs.getInt(2) == 0 && rs.getLong(1) >= maxGroupSize) {
              throw ChatException.invalid(ChatStore.groupFull(group, maxGroupSize));
            }
          }
          PreparedStatement drop =
              h.prepare("DELETE FROM invite WHERE group_id = ? AND account_id = ?");
          drop.setLong(1, gid);
          drop.setLong(2, uid);
          drop.executeUpdate();
          return insertMember(h, gid, uid, role, since);
        });
  }

  private static boolean insertMember(Handle h, long gid, long uid, GroupRole role, long since)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "INSERT INTO member(group_id, account_id, role, since, joined)"
                + " VALUES (?1, ?2, ?3,"
                + " CASE WHEN ?4 = " + SHARED
                + " THEN (SELECT shared_since FROM chat_group WHERE id = ?1)"
                + " WHEN ?4 < 0 THEN (SELECT coalesce(max(id), 0) FROM message) ELSE ?4 END,"
                + " (SELECT coalesce(max(joined), 0) + 1 FROM member WHERE group_id = ?1))"
                + " ON CONFLICT DO NOTHING");
    ps.setLong(1, gid);
    ps.setLong(2, uid);
    ps.setString(3, role.wireName());
    ps.setLong(4, since);
    return ps.executeUpdate() == 1;
  }

  @Override
  public boolean removeMember(String group, String user) {
    return write(
        h -> {
          long gid = existingGroup(h, group);
          Long uid = accountId(h, user);
          boolean removed = false;
          if (uid != null) {
            PreparedStatement ps =
                h.prepare("DELETE FROM member WHERE group_id = ? AND account_id = ?");
            ps.setLong(1, gid);
            ps.setLong(2, uid);
            removed = ps.executeUpdate() == 1;
          }
          deleteGroupIfEmpty(h, gid);
          return removed;
        });
  }

  @Override
  public boolean setRole(String group, String user, GroupRole role) {
    return write(h -> updateRole(h, existingGroup(h, group), user, role));
  }

  private static boolean updateRole(Handle h, long gid, String user, GroupRole role)
      throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "UPDATE member SET role = ? WHERE group_id = ?"
                + " AND account_id = (SELECT id FROM account WHERE name = ?)");
    ps.setString(1, role.wireName());
    ps.setLong(2, gid);
    ps.setString(3, user);
    return ps.executeUpdate() == 1;
  }

  @Override
  public void setPolicy(String group, GroupPolicy policy) {
    write(
        h -> {
          long gid = existingGroup(h, group);
          PreparedStatement ps =
              h.prepare(
                  // The right-hand sides read the row as it was: the floor moves only when shared
                  // history goes from off to on.
                  "UPDATE chat_group SET is_open = ?1, shared_history = ?2, shared_since = CASE"
                      + " WHEN ?2 = 1 AND shared_history = 0"
                      + " THEN (SELECT coalesce(max(id), 0) FROM message) ELSE shared_since END"
                      + " WHERE id = ?3");
          ps.setInt(1, policy.open() ? 1 : 0);
          ps.setInt(2, policy.sharedHistory() ? 1 : 0);
          ps.setLong(3, gid);
          ps.executeUpdate();
          return null;
        });
  }

  @Override
  public List<GroupRecord> groupsOf(String user, String after, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "SELECT g.id FROM account a JOIN member m ON m.account_id = a.id"
                      + " JOIN chat_group g ON g.id = m.group_id"
                      + " WHERE a.name = ? AND g.name > ? ORDER BY g.name LIMIT ?");
          ps.setString(1, user);
          ps.setString(2, after == null ? "" : after);
          ps.setInt(3, limit);
          List<Long> ids = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
            }
          }
          List<GroupRecord> out = new ArrayList<>(ids.size());
          for (long gid : ids) {
            out.add(loadGroup(h, gid));
          }
          return out;
        });
  }

  @Override
  public List<String> invite(
      String group, List<String> users, String by, Instant at, int maxGroupSize) {
    return write(
        h -> {
          long gid = existingGroup(h, group);
          List<String> fresh = new ArrayList<>();
          List<Long> freshIds = new ArrayList<>();
          PreparedStatement known =
              h.prepare(
                  "SELECT EXISTS (SELECT 1 FROM member WHERE group_id = ?1 AND account_id = ?2)"
                      + " OR EXISTS (SELECT 1 FROM invite WHERE group_id = ?1 AND account_id = ?2)");
          for (String u : users) {
            long uid = existingAccount(h, u);
            known.setLong(1, gid);
            known.setLong(2, uid);
            boolean skip;
            try (ResultSet rs = known.executeQuery()) {
              skip = rs.next() && rs.getInt(1) == 1;
            }
            if (!skip && !freshIds.contains(uid)) {
              fresh.add(u);
              freshIds.add(uid);
            }
          }
          PreparedStatement size =
              h.prepare(
                  "SELECT (SELECT count(*) FROM member WHERE group_id = ?1)"
                      + " + (SELECT count(*) FROM invite WHERE group_id = ?1)");
          size.setLong(1, gid);
          long current;
          try (ResultSet rs = size.executeQuery()) {
            rs.next();
            current = rs.getLong(1);
          }
          if (current + fresh.size() > maxGroupSize) {
            throw ChatException.invalid(
                "Group " + group + " would exceed " + maxGroupSize + " members and invitations.");
          }
          PreparedStatement out = h.prepare("SELECT count(*) FROM invite WHERE inviter = ?");
          out.setString(1, by);
          try (ResultSet rs = out.executeQuery()) {
            rs.next();
            if (rs.getLong(1) + fresh.size() > 2L * maxGroupSize) {
              throw ChatException.invalid(ChatStore.tooManySent(2 * maxGroupSize));
            }
          }
          PreparedStatement pendingOf =
              h.prepare(
                  "SELECT count(*), count(*) FILTER (WHERE inviter = ?2) FROM invite"
                      + " WHERE account_id = ?1");
          PreparedStatement ins =
              h.prepare(
                  "INSERT INTO invite(group_id, account_id, inviter, created_s, created_ns)"
                      + " VALUES (?, ?, ?, ?, ?)");
          for (int i = 0; i < fresh.size(); i++) {
            pendingOf.setLong(1, freshIds.get(i));
            pendingOf.setString(2, by);
            try (ResultSet rs = pendingOf.executeQuery()) {
              rs.next();
              if (rs.getInt(1) >= Limits.MAX_PENDING_INVITES) {
                throw ChatException.invalid(fresh.get(i) + " has too many pending invitations.");
              }
              if (rs.getInt(2) >= Limits.MAX_PENDING_INVITES_PER_INVITER) {
                throw ChatException.invalid(
                    fresh.get(i) + " has too many pending invitations from you.");
              }
            }
            ins.setLong(1, gid);
            ins.setLong(2, freshIds.get(i));
            ins.setString(3, by);
            ins.setLong(4, at.getEpochSecond());
            ins.setInt(5, at.getNano());
            ins.executeUpdate();
          }
          return fresh;
        });
  }

  @Override
  public List<GroupInvite> invitesOf(String user) {
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "SELECT g.name, i.inviter, i.created_s, i.created_ns FROM account a"
                      + " JOIN invite i ON i.account_id = a.id JOIN chat_group g ON g.id = i.group_id"
                      + " WHERE a.name = ? ORDER BY i.created_s, i.created_ns, g.name");
          ps.setString(1, user);
          List<GroupInvite> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new GroupInvite(
                      rs.getString(1), rs.getString(2), instant(rs.getLong(3), rs.getInt(4))));
            }
          }
          return out;
        });
  }

  @Override
  public boolean deleteInvite(String group, String user) {
    return write(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "DELETE FROM invite WHERE group_id = (SELECT id FROM chat_group WHERE name = ?)"
                      + " AND account_id = (SELECT id FROM account WHERE name = ?)");
          ps.setString(1, group);
          ps.setString(2, user);
          return ps.executeUpdate() == 1;
        });
  }

  /** The group with id {@code gid} and its roster, or null if none. */
  private static GroupRecord loadGroup(Handle h, long gid) throws SQLException {
    PreparedStatement g =
        h.prepare(
            "SELECT name, created_s, created_ns, is_open, shared_history FROM chat_group"
                + " WHERE id = ?");
    g.setLong(1, gid);
    String name;
    Instant created;
    GroupPolicy policy;
    try (ResultSet rs = g.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      name = rs.getString(1);
      created = instant(rs.getLong(2), rs.getInt(3));
      policy = new GroupPolicy(rs.getInt(4) == 1, rs.getInt(4) == 1 && rs.getInt(5) == 1);
    }
    PreparedStatement m =
        h.prepare(
            "SELECT a.name, m.role, m.since, m.joined FROM member m"
                + " JOIN account a ON a.id = m.account_id WHERE m.group_id = ? ORDER BY a.name");
    m.setLong(1, gid);
    List<MemberRecord> roster = new ArrayList<>();
    try (ResultSet rs = m.executeQuery()) {
      while (rs.next()) {
        roster.add(
            new MemberRecord(
                rs.getString(1), GroupRole.parse(rs.getString(2)), rs.getLong(3), rs.getLong(4)));
      }
    }
    return new GroupRecord(gid, name, policy, roster, created);
  }

  private static long existingAccount(Handle h, String user) throws SQLException {
    Long id = accountId(h, user);
    if (id == null) {
      throw ChatException.notFound("No such user: " + user + ".");
    }
    return id;
  }

  private static long existingGroup(Handle h, String group) throws SQLException {
    Long gid = groupId(h, group);
    if (gid == null) {
      throw ChatException.notFound("No such group: " + group + ".");
    }
    return gid;
  }

  private static void deleteGroupIfEmpty(Handle h, long gid) throws SQLException {
    PreparedStatement ps =
        h.prepare(
            "DELETE FROM chat_group WHERE id = ?1"
                + " AND NOT EXISTS (SELECT 1 FROM member WHERE group_id = ?1)");
    ps.setLong(1, gid);
    ps.executeUpdate();
  }

  private static Long accountId(Handle h, String user) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT id FROM account WHERE name = ?");
    ps.setString(1, user);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  private static Long groupId(Handle h, String group) throws SQLException {
    PreparedStatement ps = h.prepare("SELECT id FROM chat_group WHERE name = ?");
    ps.setString(1, group);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : null;
    }
  }

  // ---- messages -----------------------------------------------------------------------------------

  private static final String MESSAGE_COLUMNS =
      "m.id, m.sender, m.to_kind, m.to_name, m.body_kind, m.body, m.sent_s, m.sent_ns,"
          + " m.client_msg_id";

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    Objects.requireNonNull(draft, "draft");
    return submit(h -> append(h, draft));
  }

  private static Appended append(Handle h, Draft d) throws SQLException {
    Long senderId = accountId(h, d.from());
    if (d.clientMsgId() != null && senderId != null) {
      PreparedStatement seen =
          h.prepare(
              "SELECT "
                  + MESSAGE_COLUMNS
                  + " FROM message m WHERE m.sender_id = ? AND m.conversation = ?"
                  + " AND m.client_msg_id = ?");
      seen.setLong(1, senderId);
      seen.setString(2, d.conversation());
      seen.setString(3, d.clientMsgId());
      try (ResultSet rs = seen.executeQuery()) {
        if (rs.next()) {
          return new Appended(message(rs, 1), List.of(), List.of(), true);
        }
      }
    }
    PreparedStatement ins =
        h.prepare(
            "INSERT INTO message(conversation, sender, sender_id, to_kind, to_name, body_kind,"
                + " body, sent_s, sent_ns, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " RETURNING id");
    ins.setString(1, d.conversation());
    ins.setString(2, d.from());
    if (senderId == null) {
      // The sender was deleted between the service's check and this write; the message is
      // still stored, just not de-duplicated.
      ins.setNull(3, java.sql.Types.INTEGER);
    } else {
      ins.setLong(3, senderId);
    }
    ins.setString(4, d.to() instanceof Recipient.Group ? "g" : "u");
    ins.setString(5, d.to().name());
    if (d.body() instanceof MessageBody.Sealed s) {
      ins.setString(6, "s");
      ins.setBytes(7, s.envelope());
    } else {
      ins.setString(6, "t");
      ins.setString(7, ((MessageBody.Text) d.body()).text());
    }
    ins.setLong(8, d.sentAt().getEpochSecond());
    ins.setInt(9, d.sentAt().getNano());
    ins.setString(10, d.clientMsgId());
    long id;
    try (ResultSet rs = ins.executeQuery()) {
      rs.next();
      id = rs.getLong(1);
    }
    Message m = new Message(id, d.from(), d.to(), d.body(), d.sentAt(), d.clientMsgId());

    PreparedStatement bump =
        h.prepare("UPDATE account SET last_seq = last_seq + 1 WHERE name = ? RETURNING id, last_seq");
    PreparedStatement put =
        h.prepare("INSERT INTO inbox(account_id, seq, message_id) VALUES (?, ?, ?)");
    List<Delivery> deliveries = new ArrayList<>(d.recipients().size());
    List<String> recipients = new ArrayList<>(d.recipients().size());
    for (String r : d.recipients()) {
      long accountId;
      long seq;
      bump.setString(1, r);
      try (ResultSet rs = bump.executeQuery()) {
        if (!rs.next()) {
          continue; // deleted between the service's check and now
        }
        accountId = rs.getLong(1);
        seq = rs.getLong(2);
      }
      put.setLong(1, accountId);
      put.setLong(2, seq);
      put.setLong(3, id);
      put.executeUpdate();
      deliveries.add(new Delivery(seq, m));
      recipients.add(r);
    }
    return new Appended(m, deliveries, recipients, false);
  }

  @Override
  public List<Delivery> inbox(String user, long afterSeq, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "SELECT i.seq, "
                      + MESSAGE_COLUMNS
                      + " FROM account a JOIN inbox i ON i.account_id = a.id"
                      + " JOIN message m ON m.id = i.message_id"
                      + " WHERE a.name = ? AND i.seq > ? ORDER BY i.seq LIMIT ?");
          ps.setString(1, user);
          ps.setLong(2, afterSeq);
          ps.setInt(3, limit);
          List<Delivery> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(new Delivery(rs.getLong(1), message(rs, 2)));
            }
          }
          return out;
        });
  }

  @Override
  public long lastSeq(String user) {
    return seqColumn("last_seq", user);
  }

  @Override
  public void ack(String user, long upToSeq) {
    write(
        h -> {
          // Forward only, and never past what was assigned.
          PreparedStatement move =
              h.prepare(
                  "UPDATE account SET acked_seq = MIN(?1, last_seq)"
                      + " WHERE name = ?2 AND acked_seq < ?1 RETURNING id, acked_seq");
          move.setLong(1, upToSeq);
          move.setString(2, user);
          long id;
          long acked;
          try (ResultSet rs = move.executeQuery()) {
            if (!rs.next()) {
              return null;
            }
            id = rs.getLong(1);
            acked = rs.getLong(2);
          }
          PreparedStatement drop = h.prepare("DELETE FROM inbox WHERE account_id = ? AND seq <= ?");
          drop.setLong(1, id);
          drop.setLong(2, acked);
          drop.executeUpdate();
          return null;
        });
  }

  @Override
  public long ackedSeq(String user) {
    return seqColumn("acked_seq", user);
  }

  private long seqColumn(String column, String user) {
    return read(
        h -> {
          PreparedStatement ps = h.prepare("SELECT " + column + " FROM account WHERE name = ?");
          ps.setString(1, user);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
          }
        });
  }

  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read(
        h -> {
          PreparedStatement ps =
              h.prepare(
                  "SELECT "
                      + MESSAGE_COLUMNS
                      + " FROM message m WHERE m.conversation = ? AND m.id < ?"
                      + " ORDER BY m.id DESC LIMIT ?");
          ps.setString(1, conversation);
          ps.setLong(2, beforeId > 0 ? beforeId : Long.MAX_VALUE);
          ps.setInt(3, limit);
          List<Message> out = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(message(rs, 1));
            }
          }
          Collections.reverse(out);
          return out;
        });
  }

  /** Reads {@link #MESSAGE_COLUMNS} starting at column {@code c}. */
  private static Message message(ResultSet rs, int c) throws SQLException {
    long id = rs.getLong(c);
    String from = rs.getString(c + 1);
    String toName = rs.getString(c + 3);
    Recipient to =
        "g".equals(rs.getString(c + 2)) ? Recipient.group(toName) : Recipient.user(toName);
    MessageBody body =
        "s".equals(rs.getString(c + 4))
            ? MessageBody.sealed(rs.getBytes(c + 5))
            : MessageBody.text(rs.getString(c + 5));
    Instant sentAt = instant(rs.getLong(c + 6), rs.getInt(c + 7));
    return new Message(id, from, to, body, sentAt, rs.getString(c + 8));
  }

  private static Instant instant(long seconds, int nanos) {
    return Instant.ofEpochSecond(seconds, nanos);
  }

  // ---- metrics ----------------------------------------------------------------------------------

  /**
   * Reports each commit's size and duration to {@code metrics} from now on ({@link
   * spartan.core.spi.ChatMetrics#NONE} until called). Called on the writer thread, after the
   * commit and before the futures complete.
   */
  public void reportTo(spartan.core.spi.ChatMetrics metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * Inbox entries not yet acknowledged, over all users (acked entries are dropped). One count
   * over the inbox table: cheap enough to sample now and then, not to call per message.
   */
  public long undeliveredCount() {
    return read(
        h -> {
          try (ResultSet rs = h.prepare("SELECT count(*) FROM inbox").executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
          }
        });
  }

  // ---- close ------------------------------------------------------------------------------------

  /**
   * Stops taking writes, waits until every write already queued has committed (or failed) and
   * its future completed, then closes the connections and releases the directory lock. Writes
   * and reads after that fail with {@code UNAVAILABLE}. Idempotent; concurrent callers all wait,
   * except a call from a completion callback on the writer thread, which cannot wait for the
   * writer and returns at once (the close then completes when the callback returns).
   */
  @Override
  public void close() {
    CompletableFuture<Void> done;
    synchronized (this) {
      if (closed == null) {
        closed = new CompletableFuture<>();
        closing = true;
        queue.offer(new Close(closed));
        signal();
      }
      done = closed;
    }
    if (Thread.currentThread() == drainThread) {
      // Called from a completion callback on the writer thread: this thread is the drain, so
      // waiting would wait for itself. It owns the queue, so it runs what is queued here; if
      // the close was already taken off the queue, it completes as soon as the callback returns.
      drainQueue();
      return;
    }
    done.join();
  }

  // ---- the writer ---------------------------------------------------------------------------------

  /** A unit of work on a connection; may throw ChatException to fail just this unit. */
  @FunctionalInterface
  private interface Task<T> {
    T run(Handle h) throws SQLException;
  }

  private sealed interface Op permits Write, Close {}

  private record Write<T>(Task<T> task, CompletableFuture<T> future) implements Op {}

  private record Close(CompletableFuture<Void> done) implements Op {}

  private <T> CompletableFuture<T> submit(Task<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (closing) {
      f.completeExceptionally(closedError());
      return f;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      f.completeExceptionally(
          ChatException.unavailable("The message store is overloaded; try again shortly."));
      return f;
    }
    queue.offer(new Write<>(task, f));
    signal();
    return f;
  }

  /** Submits a write and waits for its commit. */
  private <T> T write(Task<T> task) {
    CompletableFuture<T> f = submit(task);
    if (Thread.currentThread() == drainThread) {
      // A callback on the writer thread: run the queue here rather than wait for ourselves.
      drainQueue();
    }
    try {
      return f.join();
    } catch (CompletionException e) {
      throw ChatException.wrap(e.getCause());
    }
  }

  private void signal() {
    try {
      wake.run();
    } catch (RejectedExecutionException e) {
      // The executor is shut down (or saturated): drain here, so no future is left hanging.
      log.warn("Store writer executor rejected a drain; draining on the calling thread");
      drain();
    }
  }

  private void drain() {
    synchronized (draining) {
      drainThread = Thread.currentThread();
      try {
        drainQueue();
      } catch (RuntimeException e) {
        log.error("Message store writer failed unexpectedly", e); // a bug; keep draining
      } finally {
        // Cleared before giving up the drain, so a drain starting on another thread right after
        // is not mistaken for this one.
        drainThread = null;
      }
    }
  }

  /** Runs everything queued now, in batches; called only by the thread that owns the drain. */
  private void drainQueue() {
    List<Write<?>> batch = new ArrayList<>();
    for (Op op; (op = queue.poll()) != null; ) {
      if (op instanceof Write<?> w) {
        batch.add(w);
        if (batch.size() == MAX_BATCH) {
          runBatch(batch);
          batch = new ArrayList<>();
        }
      } else {
        runBatch(batch);
        batch = new ArrayList<>();
        closeAll(((Close) op).done());
      }
    }
    runBatch(batch);
  }

  private void runBatch(List<Write<?>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    int n = batch.size();
    Object[] results = new Object[n];
    Throwable[] errors = new Throwable[n];
    if (writerClosed) {
      Arrays.fill(errors, closedError());
    } else {
      Handle h = writeSide;
      long began = System.nanoTime(); // an interval for the metrics, not a time of day
      long took = -1;
      try {
        h.execute("BEGIN IMMEDIATE");
        try {
          for (int i = 0; i < n; i++) {
            h.execute("SAVEPOINT w");
            try {
              results[i] = batch.get(i).task().run(h);
              h.execute("RELEASE w");
            } catch (SQLException | RuntimeException e) {
              // Undo just this write; the rest of the batch still commits.
              h.execute("ROLLBACK TO w");
              h.execute("RELEASE w");
              errors[i] = failure(e, "write");
            }
          }
          h.execute("COMMIT");
          took = System.nanoTime() - began;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(h.connection);
          throw e;
        }
      } catch (SQLException | RuntimeException e) {
        Arrays.fill(results, null);
        Arrays.fill(errors, failure(e, "commit"));
      }
      if (took >= 0) {
        metrics.storeCommitted(n, took);
      }
    }
    pending.addAndGet(-n);
    for (int i = 0; i < n; i++) {
      complete(batch.get(i), results[i], errors[i]);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Write<T> w, Object result, Throwable error) {
    if (error != null) {
      w.future().completeExceptionally(error);
    } else {
      w.future().complete((T) result);
    }
  }

  private void closeAll(CompletableFuture<Void> done) {
    if (!writerClosed) {
      writerClosed = true;
      writeSide.close();
      List<Handle> idle;
      synchronized (idleReaders) {
        readersClosed = true;
        idle = new ArrayList<>(idleReaders);
        idleReaders.clear();
      }
      idle.forEach(Handle::close);
      releaseQuietly(fileLock, lockChannel);
      log.debug("Message store {} closed", file);
    }
    done.complete(null);
  }

  // ---- reads ------------------------------------------------------------------------------------

  private <T> T read(Task<T> task) {
    try {
      if (!readPermits.tryAcquire(BUSY_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        throw ChatException.unavailable("The message store is busy; try again shortly.");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ChatException.unavailable("Interrupted while waiting for the message store.");
    }
    try {
      Handle h = borrowReader();
      boolean healthy = true;
      try {
        return task.run(h);
      } catch (SQLException e) {
        healthy = false; // do not pool a connection in an unknown state
        throw failure(e, "read");
      } catch (RuntimeException e) {
        throw failure(e, "read");
      } finally {
        giveBack(h, healthy);
      }
    } finally {
      readPermits.release();
    }
  }

  private Handle borrowReader() {
    synchronized (idleReaders) {
      if (readersClosed) {
        throw closedError();
      }
      Handle h = idleReaders.pollFirst();
      if (h != null) {
        return h;
      }
    }
    try {
      return new Handle(connect(url, true));
    } catch (SQLException e) {
      throw failure(e, "open reader");
    }
  }

  private void giveBack(Handle h, boolean healthy) {
    synchronized (idleReaders) {
      if (healthy && !readersClosed && idleReaders.size() < MAX_IDLE_READERS) {
        idleReaders.addFirst(h);
        return;
      }
    }
    h.close();
  }

  // ---- errors -----------------------------------------------------------------------------------

  private ChatException closedError() {
    return ChatException.unavailable("The message store is closed.");
  }

  /**
   * Maps a failure to what a client may see. ChatExceptions thrown on purpose pass through;
   * SQLite's transient and I/O faults are UNAVAILABLE; anything else is INTERNAL. The cause stays
   * attached for the log and is never part of the message.
   */
  private ChatException failure(Throwable e, String what) {
    if (e instanceof ChatException c) {
      return c;
    }
    if (e instanceof SQLException s && transientFault(s.getErrorCode())) {
      log.warn("Message store {} failed ({}): {}", file, what, s.getMessage(), s);
      return new ChatException(
          ErrorCode.UNAVAILABLE, "The message store is unavailable; try again.", s);
    }
    log.error("Message store {} failed unexpectedly ({})", file, what, e);
    return new ChatException(ErrorCode.INTERNAL, "internal error", e);
  }

  /** SQLite primary result codes a retry (or an operator freeing disk space) may cure. */
  private static boolean transientFault(int code) {
    return switch (code & 0xff) {
      case 5, // BUSY
          6, // LOCKED
          7, // NOMEM
          8, // READONLY
          10, // IOERR
          13, // FULL
          14, // CANTOPEN
          15 -> // PROTOCOL
          true;
      default -> false;
    };
  }

  private static void rollbackQuietly(Connection c) {
    try (Statement s = c.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // nothing was open, or the connection is gone; either way nothing to undo
    }
  }

  private static void releaseQuietly(FileLock lock, FileChannel channel) {
    try {
      if (lock != null) {
        lock.release();
      }
    } catch (IOException e) {
      log.debug("Releasing the data directory lock failed", e);
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.debug("Closing the data directory lock failed", e);
    }
  }

  /**
   * A connection and its prepared statements, used by one thread at a time (the writer, or a
   * reader between borrow and give-back), so the cache needs no locking.
   */
  private static final class Handle {
    final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private Statement plain;

    Handle(Connection connection) {
      this.connection = connection;
    }

    PreparedStatement prepare(String sql) throws SQLException {
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = connection.prepareStatement(sql);
        statements.put(sql, ps);
      } else {
        ps.clearParameters();
      }
      return ps;
    }

    void execute(String sql) throws SQLException {
      if (plain == null) {
        plain = connection.createStatement();
      }
      plain.execute(sql);
    }

    void close() {
      try {
        connection.close(); // closes its statements too
      } catch (SQLException e) {
        log.debug("Closing a store connection failed", e);
      }
    }
  }
}
