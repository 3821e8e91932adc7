package spartan.core.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.GroupRecord;
import spartan.core.store.ChatStoreContract;

/** The store contract against SQLite, plus what only a durable store promises. */
@Timeout(60)
class SqliteChatStoreTest extends ChatStoreContract {
  private final AtomicInteger drains = new AtomicInteger();
  private final ExecutorService writerThread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "store-writer");
            t.setDaemon(true);
            return t;
          });

  /** Counts the drains the store schedules, to show that many writes share one. */
  private final Executor writer =
      task -> {
        drains.incrementAndGet();
        writerThread.execute(task);
      };

  @Override
  protected ChatStore open(Path dir) {
    return SqliteChatStore.open(dir, writer);
  }

  /** Released after each test, so a test that fails while holding the writer cannot hang close. */
  private final CountDownLatch hold = new CountDownLatch(1);

  @AfterEach
  void stopWriter() throws InterruptedException {
    hold.countDown();
    store.close(); // before the writer goes, so close() finds it running
    writerThread.shutdownNow();
    assertThat(writerThread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private ChatStore reopen() {
    store.close();
    store = open(dir);
    return store;
  }

  @Test
  void aStoreWrittenBeforeGroupRolesKeepsItsMembersAndMessagesAndGetsAnOwner() throws Exception {
    store.close();
    Path old = dir.resolve("old");
    Files.createDirectories(old);
    // The schema as Spartan shipped it before roles: migrations 0 and 1, version 2.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old.resolve("spartan.db"));
        Statement s = c.createStatement()) {
      for (int v = 0; v < 2; v++) {
        for (String sql : SqliteSchema.MIGRATIONS.get(v)) {
          s.execute(sql);
        }
      }
      s.execute("PRAGMA user_version=2");
      for (String u : List.of("carol", "alice", "bob", "dan")) {
        s.execute(
            "INSERT INTO account(name, created_s, created_ns, last_seq) VALUES ('" + u + "', 0, 0, 0)");
      }
      // alice (id 2) created both; team's first message is hers, quiet has none.
      s.execute("INSERT INTO chat_group(name, created_s, created_ns) VALUES ('team', 0, 0)");
      s.execute("INSERT INTO chat_group(name, created_s, created_ns) VALUES ('quiet', 0, 0)");
      s.execute("INSERT INTO member VALUES (1, 1), (1, 2), (1, 3), (2, 2), (2, 3)");
      s.execute(
          "INSERT INTO message(conversation, sender, sender_id, to_kind, to_name, body_kind, body,"
              + " sent_s, sent_ns) VALUES ('g:1', 'alice', 2, 'g', 'team', 't', 'first', 1, 0),"
              + " ('g:1', 'carol', 1, 'g', 'team', 't', 'second', 2, 0)");
      s.execute("INSERT INTO inbox VALUES (3, 1, 1), (3, 2, 2)");
      s.execute("UPDATE account SET last_seq = 2 WHERE name = 'bob'");
    }

    store = SqliteChatStore.open(old, Runnable::run);

    GroupRecord team = store.findGroup("team").orElseThrow();
    assertThat(team.members()).containsExactly("alice", "bob", "carol");
    assertThat(team.member("alice").role()).as("first author").isEqualTo(GroupRole.OWNER);
    assertThat(team.member("carol").role()).isEqualTo(GroupRole.MEMBER);
    assertThat(team.member("bob").since()).as("keeps all it could read").isZero();
    assertThat(team.policy()).as("invite-only from now on").isEqualTo(GroupPolicy.PRIVATE);
    GroupRecord quiet = store.findGroup("quiet").orElseThrow();
    assertThat(quiet.member("alice").role()).as("oldest account").isEqualTo(GroupRole.OWNER);
    assertThat(quiet.member("bob").role()).isEqualTo(GroupRole.MEMBER);
    assertThat(store.history("g:1", 0, 10)).extracting(Message::text).containsExactly("first", "second");
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("first", "second");
    assertThat(store.invitesOf("dan")).isEmpty();
    assertThat(store.invite("team", List.of("dan"), "alice", T0, 10)).containsExactly("dan");
  }

  @Test
  void aStoreWrittenBeforeSharedSinceKeepsWhatEachGroupShares() throws Exception {
    store.close();
    Path old = dir.resolve("v5");
    Files.createDirectories(old);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old.resolve("spartan.db"));
        Statement s = c.createStatement()) {
      for (int v = 0; v < 5; v++) {
        for (String sql : SqliteSchema.MIGRATIONS.get(v)) {
          s.execute(sql);
        }
      }
      s.execute("PRAGMA user_version=5");
      for (String u : List.of("alice", "dan")) {
        s.execute(
            "INSERT INTO account(name, created_s, created_ns, last_seq) VALUES ('" + u + "', 0, 0, 0)");
      }
      s.execute(
          "INSERT INTO chat_group(name, created_s, created_ns, is_open, shared_history)"
              + " VALUES ('lobby', 0, 0, 1, 1), ('team', 0, 0, 1, 0)");
      s.execute("INSERT INTO member(group_id, account_id, role) VALUES (1, 1, 'owner'), (2, 1, 'owner')");
      s.execute(
          "INSERT INTO message(conversation, sender, sender_id, to_kind, to_name, body_kind, body,"
              + " sent_s, sent_ns) VALUES ('g:1', 'alice', 1, 'g', 'lobby', 't', 'hello all', 1, 0),"
              + " ('g:2', 'alice', 1, 'g', 'team', 't', 'the launch code', 2, 0)");
    }

    store = SqliteChatStore.open(old, Runnable::run);

    assertThat(store.addMember("lobby", "dan", GroupRole.MEMBER, ChatStore.SHARED)).isTrue();
    assertThat(store.findGroup("lobby").orElseThrow().member("dan").since())
        .as("already sharing: all of it, as before")
        .isZero();
    assertThat(store.addMember("team", "dan", GroupRole.MEMBER, ChatStore.SHARED)).isTrue();
    assertThat(store.findGroup("team").orElseThrow().member("dan").since())
        .as("not sharing: nothing sent before the upgrade")
        .isEqualTo(2);
    assertThat(store.history("g:2", 0, 10)).extracting(Message::text)
        .containsExactly("the launch code");
  }

  @Test
  void everythingSurvivesCloseAndReopen() {
    AccountRecord alice = store.createAccount("alice", "$argon2id$hash", T0);
    accounts("bob", "carol");
    GroupRecord team = group("team", "alice", "bob", "carol");
    List<Message> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add(append(direct("alice", "bob", MessageBody.text("m" + i), "c-" + i)).message());
    }
    Appended toGroup = append(toGroup("alice", "team", "all", "bob", "carol"));
    store.ack("bob", 2);
    store.recordAuthMode(spartan.core.AuthMode.PASSWORD);
    List<Delivery> bobInbox = store.inbox("bob", 0, 100);

    reopen();
    assertThat(store.recordedAuthMode()).contains(spartan.core.AuthMode.PASSWORD);
    assertThat(store.passwordAccounts()).isEqualTo(1);

    assertThat(store.findAccount("alice")).contains(alice);
    assertThat(store.findGroup("team")).contains(team);
    assertThat(store.listAccounts("*", null, 10)).containsExactly("alice", "bob", "carol");
    assertThat(store.inbox("bob", 0, 100)).isEqualTo(bobInbox);
    assertThat(store.inbox("carol", 0, 100))
        .containsExactly(new Delivery(1, toGroup.message()));
    assertThat(store.ackedSeq("bob")).isEqualTo(2);
    assertThat(store.lastSeq("bob")).isEqualTo(6);
    assertThat(store.history("d:alice:bob", 0, 10)).containsExactlyElementsOf(sent);
    // de-duplication and sequences carry on where they were
    assertThat(append(direct("alice", "bob", MessageBody.text("m0"), "c-0")).duplicate()).isTrue();
    Appended next = append(direct("alice", "bob", "after restart"));
    assertThat(next.deliveries().get(0).seq()).isEqualTo(7);
    assertThat(next.message().id()).isGreaterThan(toGroup.message().id());
  }

  @Test
  void idsAreNotReusedAcrossARestart() {
    accounts("alice");
    long bob = store.createAccount("bob", null, T0).id();
    store.deleteAccount("bob");
    reopen();
    assertThat(store.createAccount("bob", null, T0).id()).isGreaterThan(bob);
  }

  @Test
  void theSchemaIsCreatedVersionedAndInWalMode() throws SQLException {
    store.close();
    try (Connection c = raw(); Statement s = c.createStatement()) {
      assertThat(query(s, "PRAGMA user_version")).isEqualTo(String.valueOf(SqliteChatStore.schemaVersion()));
      assertThat(query(s, "PRAGMA journal_mode")).isEqualTo("wal");
    }
  }

  @Test
  void aStoreWrittenByANewerSpartanIsRefusedWithAClearMessage() throws SQLException {
    store.close();
    int newer = SqliteChatStore.schemaVersion() + 1;
    try (Connection c = raw(); Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version=" + newer);
    }
    assertThatThrownBy(() -> SqliteChatStore.open(dir, writer))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema version " + newer)
        .hasMessageContaining("newer than this Spartan understands");
    // the refusal left the file alone and released the directory
    try (Connection c = raw(); Statement s = c.createStatement()) {
      assertThat(query(s, "PRAGMA user_version")).isEqualTo(String.valueOf(newer));
      s.execute("PRAGMA user_version=" + SqliteChatStore.schemaVersion());
    }
    store = SqliteChatStore.open(dir, writer);
    assertThat(store.listAccounts("*", null, 10)).isEmpty();
  }

  @Test
  void aFileThatIsNotADatabaseIsRefusedAsUnavailable() throws Exception {
    store.close();
    Path other = dir.resolve("garbage");
    Files.createDirectories(other);
    Files.writeString(other.resolve(SqliteChatStore.FILE_NAME), "this is not a database".repeat(200));
    assertThatThrownBy(() -> SqliteChatStore.open(other, writer))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining(other.resolve(SqliteChatStore.FILE_NAME).toString())
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() {
    assertThatThrownBy(() -> SqliteChatStore.open(dir, writer))
        .isInstanceOf(ChatException.class)
        .hasMessageContaining("in use")
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  @Timeout(30)
  void pendingAppendsShareOneDrainAndCompleteInCommitOrder() throws Exception {
    accounts("alice", "bob");
    holdWriter(); // appends queue up behind it
    int before = drains.get();
    List<Long> completed = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Appended>> futures = new ArrayList<>();
    List<CompletableFuture<Void>> recorded = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      CompletableFuture<Appended> f = store.append(direct("alice", "bob", "q" + i));
      recorded.add(f.thenAccept(a -> completed.add(a.message().id())));
      futures.add(f);
    }
    assertThat(futures).noneMatch(CompletableFuture::isDone);
    hold.countDown();
    CompletableFuture.allOf(recorded.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(drains.get() - before).as("one drain scheduled for the whole queue").isEqualTo(1);
    assertThat(completed).hasSize(500).isSorted();
    assertThat(futures.get(499).join().deliveries().get(0).seq()).isEqualTo(500);
  }

  @Test
  @Timeout(30)
  void closeCommitsEveryQueuedWriteThenRefusesMore() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    List<CompletableFuture<Appended>> futures = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      futures.add(store.append(direct("alice", "bob", "pending " + i)));
    }
    CompletableFuture<Void> closing = CompletableFuture.runAsync(store::close);
    hold.countDown();
    closing.get(20, TimeUnit.SECONDS);
    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());

    assertFails(ErrorCode.UNAVAILABLE, store.append(direct("alice", "bob", "late")));
    assertCode(ErrorCode.UNAVAILABLE, () -> store.createAccount("carol", null, T0));
    assertCode(ErrorCode.UNAVAILABLE, () -> store.inbox("bob", 0, 10));
    store.close(); // idempotent

    store = open(dir);
    assertThat(store.lastSeq("bob")).isEqualTo(300);
    assertThat(store.inbox("bob", 0, 1000)).hasSize(300);
  }

  @Test
  @Timeout(30)
  void aWriteFromACompletionCallbackOnTheWriterThreadDoesNotDeadlock() throws Exception {
    accounts("alice", "bob");
    CompletableFuture<AccountRecord> created =
        store
            .append(direct("alice", "bob", "hello"))
            .thenApply(a -> store.createAccount("carol", null, T0));
    assertThat(created.get(20, TimeUnit.SECONDS).user()).isEqualTo("carol");
    CompletableFuture<Void> closedFromCallback =
        store.append(direct("alice", "bob", "bye")).thenRun(store::close);
    closedFromCallback.get(20, TimeUnit.SECONDS);
    assertCode(ErrorCode.UNAVAILABLE, () -> store.findAccount("carol"));
  }

  @Test
  void aFailingWriteDoesNotFailTheOthersInItsBatch() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    CompletableFuture<Appended> before = store.append(direct("alice", "bob", "before"));
    CompletableFuture<AccountRecord> dup =
        CompletableFuture.supplyAsync(() -> store.createAccount("alice", null, T0));
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingWrites() == 2);
    CompletableFuture<Appended> after = store.append(direct("alice", "bob", "after"));
    assertThat(pendingWrites()).as("all three wait for the same drain").isEqualTo(3);
    hold.countDown();
    assertThat(before.get(20, TimeUnit.SECONDS).deliveries()).hasSize(1);
    assertThat(after.get(20, TimeUnit.SECONDS).deliveries()).hasSize(1);
    assertFails(ErrorCode.ALREADY_EXISTS, dup);
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("before", "after");
  }

  private int pendingWrites() {
    return ((SqliteChatStore) store).pendingWrites();
  }

  private Connection raw() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteChatStore.FILE_NAME));
  }

  private static String query(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * Occupies the writer thread until {@link #hold} is released, and returns once it does, so
   * the drain that served earlier writes has finished and the next write schedules a new one.
   */
  private void holdWriter() throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    writerThread.execute(
        () -> {
          running.countDown();
          hold(hold);
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private static void assertFails(ErrorCode code, CompletableFuture<?> f) {
    assertThatThrownBy(f::join)
        .hasCauseInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e.getCause()).code()).isEqualTo(code));
  }

  private static void hold(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aVersionOneFileIsMigratedKeepingItsData() throws Exception {
    Path old = dir.resolve("v1");
    java.nio.file.Files.createDirectories(old);
    String url = "jdbc:sqlite:" + old.resolve(SqliteChatStore.FILE_NAME);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
        java.sql.Statement s = c.createStatement()) {
      for (String sql : SqliteSchema.MIGRATIONS.get(0)) {
        s.execute(sql);
      }
      s.execute("PRAGMA user_version=1");
      s.execute("INSERT INTO account(name, created_s, created_ns) VALUES ('alice', 0, 0)");
    }
    java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (SqliteChatStore migrated = SqliteChatStore.open(old, writer)) {
      assertThat(migrated.findAccount("alice")).isPresent();
      migrated.putKeys("alice", new byte[] {7});
      assertThat(migrated.findKeys("alice")).hasValueSatisfying(k -> assertThat(k).containsExactly(7));
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void aVersionTwoFileIsMigratedToConversationScopedClientIdsKeepingItsMessages()
      throws Exception {
    Path old = dir.resolve("v2");
    Files.createDirectories(old);
    String url = "jdbc:sqlite:" + old.resolve(SqliteChatStore.FILE_NAME);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      for (int v = 0; v < 2; v++) {
        for (String sql : SqliteSchema.MIGRATIONS.get(v)) {
          s.execute(sql);
        }
      }
      s.execute("PRAGMA user_version=2");
      for (String name : List.of("alice", "bob", "carol")) {
        s.execute("INSERT INTO account(name, created_s, created_ns) VALUES ('" + name + "', 0, 0)");
      }
      s.execute(
          "INSERT INTO message(conversation, sender, sender_id, to_kind, to_name, body_kind, body,"
              + " sent_s, sent_ns, client_msg_id)"
              + " VALUES ('d:alice:bob', 'alice', 1, 'u', 'bob', 't', 'old', 0, 0, 'c-1')");
    }
    ExecutorService w = Executors.newSingleThreadExecutor();
    try (SqliteChatStore migrated = SqliteChatStore.open(old, w)) {
      assertThat(historyTexts(migrated.history("d:alice:bob", 0, 10))).containsExactly("old");
      assertThat(migrated.append(direct("alice", "bob", MessageBody.text("x"), "c-1")).join()
              .duplicate())
          .as("still a duplicate in its own conversation")
          .isTrue();
      assertThat(migrated.append(direct("alice", "carol", MessageBody.text("new"), "c-1")).join()
              .duplicate())
          .as("a new message in another conversation")
          .isFalse();
    } finally {
      w.shutdownNow();
    }
  }

  private static List<String> historyTexts(List<Message> ms) {
    return ms.stream().map(Message::text).toList();
  }

  /** The audit found the data directory 0755 and spartan.db 0644: bodies and hashes for all. */
  @Test
  void theDataDirectoryAndEveryFileInItArePrivateToTheOwner() throws Exception {
    Path fresh = dir.resolve("fresh").resolve("data");
    ExecutorService w = Executors.newSingleThreadExecutor();
    try (SqliteChatStore s = SqliteChatStore.open(fresh, w)) {
      s.createAccount("alice", "$argon2id$hash", T0); // a write, so the WAL and shm exist
      assertThat(perms(fresh)).isEqualTo("rwx------");
      List<String> names;
      try (var files = Files.list(fresh)) {
        names = files.map(p -> p.getFileName().toString()).sorted().toList();
      }
      assertThat(names)
          .contains("spartan.db", "spartan.db-wal", "spartan.db-shm", "spartan.lock");
      for (String name : names) {
        assertThat(perms(fresh.resolve(name))).as(name).isEqualTo("rw-------");
      }
    } finally {
      w.shutdownNow();
    }
  }

  @Test
  void anExistingDirectoryOthersCanReadIsReportedAtOpen() throws Exception {
    Path shared = dir.resolve("shared");
    Files.createDirectories(shared);
    Files.setPosixFilePermissions(
        shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(DataDirectory.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
        new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    logger.addAppender(seen);
    ExecutorService w = Executors.newSingleThreadExecutor();
    try (SqliteChatStore s = SqliteChatStore.open(shared, w)) {
      assertThat(seen.list)
          .anySatisfy(
              e -> {
                assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                assertThat(e.getFormattedMessage())
                    .contains(shared.toString(), "rwxr-xr-x", "chmod 700");
              });
      assertThat(perms(shared.resolve(SqliteChatStore.FILE_NAME))).isEqualTo("rw-------");
    } finally {
      logger.detachAppender(seen);
      w.shutdownNow();
    }
  }

  private static String perms(Path p) throws java.io.IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void manyConcurrentReadersShareTheBoundedReaderPool() throws Exception {
    accounts("alice", "bob");
    append(direct("alice", "bob", "hello"));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(64);
    try {
      List<java.util.concurrent.Future<Integer>> reads = new ArrayList<>();
      for (int i = 0; i < 640; i++) {
        reads.add(pool.submit(() -> store.inbox("bob", 0, 10).size()));
      }
      for (java.util.concurrent.Future<Integer> r : reads) {
        assertThat(r.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
