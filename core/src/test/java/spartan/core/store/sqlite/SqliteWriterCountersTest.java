package spartan.core.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.store.ChatStore.GroupRecord;

/**
 * The writer assigns message ids and inbox sequences from counters it keeps in memory ({@link
 * WriterState}); these pin down that the table and memory never disagree in a way a reader,
 * a restart or the next write could see: rolled-back writes, deleted and re-created names,
 * acks in the same batch, the bound on remembered accounts, and ids across a reopen. Also the
 * writer's other helpers: the account lookup cache, the completion lane and the checkpointer.
 */
@Timeout(60)
class SqliteWriterCountersTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30.123456789Z");

  @TempDir Path dir;

  private final ExecutorService writerThread = Executors.newSingleThreadExecutor(named("writer"));
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(named("callbacks"));
  private final CountDownLatch hold = new CountDownLatch(1);
  private SqliteChatStore store;

  @BeforeEach
  void openStore() {
    store = open(WriterState.MAX_ACCOUNTS);
  }

  @AfterEach
  void close() throws InterruptedException {
    hold.countDown();
    store.close();
    writerThread.shutdownNow();
    callbacks.shutdownNow();
    assertThat(writerThread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private SqliteChatStore open(int maxAccounts) {
    return SqliteChatStore.open(
        dir, writerThread, SqliteChatStore.Sync.NORMAL, callbacks, new WriterState(maxAccounts));
  }

  private void reopen(int maxAccounts) {
    store.close();
    store = open(maxAccounts);
  }

  @Test
  void aWriteRolledBackToItsSavepointGivesBackItsSequencesButNotItsId() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    CompletableFuture<Appended> one = store.append(direct("alice", "bob", "one"));
    CompletableFuture<Appended> lost =
        store.submit(
            h -> {
              MessageSql.append(h, direct("alice", "bob", "lost"));
              throw ChatException.invalid("fails after taking a sequence");
            });
    CompletableFuture<Appended> two = store.append(direct("alice", "bob", "two"));
    hold.countDown();

    assertThat(one.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(1);
    assertThatThrownBy(() -> lost.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ChatException.class);
    Appended second = two.get(20, TimeUnit.SECONDS);
    assertThat(second.deliveries().get(0).seq()).as("no gap for the reader").isEqualTo(2);
    assertThat(second.message().id())
        .as("ids only move forward")
        .isGreaterThan(one.join().message().id() + 1);
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("one", "two");
    assertThat(store.lastSeq("bob")).isEqualTo(2);

    reopen(WriterState.MAX_ACCOUNTS);
    Appended three = store.append(direct("alice", "bob", "three")).join();
    assertThat(three.deliveries().get(0).seq()).isEqualTo(3);
    assertThat(three.message().id()).isGreaterThan(second.message().id());
  }

  @Test
  void appendsInOneBatchAreStoredTogetherAndAClientIdSeenEarlierInItIsADuplicate()
      throws Exception {
    accounts("alice", "bob", "carol");
    holdWriter();
    CompletableFuture<Appended> first = store.append(direct("alice", "bob", "first", "c1"));
    CompletableFuture<Appended> again = store.append(direct("alice", "bob", "again", "c1"));
    CompletableFuture<Appended> other = store.append(direct("alice", "carol", "to carol", "c1"));
    CompletableFuture<Appended> plain = store.append(direct("alice", "bob", "plain"));
    hold.countDown();

    Appended one = first.get(20, TimeUnit.SECONDS);
    assertThat(one.duplicate()).isFalse();
    assertThat(again.get(20, TimeUnit.SECONDS))
        .satisfies(a -> assertThat(a.duplicate()).isTrue())
        .satisfies(a -> assertThat(a.message()).isEqualTo(one.message()))
        .satisfies(a -> assertThat(a.deliveries()).isEmpty());
    assertThat(other.get(20, TimeUnit.SECONDS).duplicate())
        .as("the same client id in another conversation is another message")
        .isFalse();
    assertThat(plain.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(2);
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("first", "plain");

    reopen(WriterState.MAX_ACCOUNTS); // read back from the table, not from memory
    assertThat(store.inbox("bob", 0, 10)).extracting(Delivery::message)
        .containsExactly(one.message(), plain.join().message());
    assertThat(store.append(direct("alice", "bob", "once more", "c1")).join().duplicate()).isTrue();
  }

  @Test
  void anAppendThatFailsInARunOfAppendsFailsAloneAndLeavesNoGap() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    CompletableFuture<Appended> one = store.append(direct("alice", "bob", "one"));
    Draft broken = new Draft("alice", Recipient.user("bob"), MessageBody.text("broken"), T0, null,
        null, List.of("bob")); // no conversation: the row breaks a NOT NULL constraint
    CompletableFuture<Appended> bad = store.append(broken);
    CompletableFuture<Appended> two = store.append(direct("alice", "bob", "two"));
    hold.countDown();

    assertThat(one.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(1);
    assertThatThrownBy(() -> bad.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(ChatException.class);
    assertThat(two.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(2);
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("one", "two");
  }

  @Test
  void messageIdsAreNeverReusedAfterAReopenEvenWhenTheNewestRowIsGone() throws Exception {
    accounts("alice", "bob");
    long newest = 0;
    for (int i = 0; i < 3; i++) {
      newest = store.append(direct("alice", "bob", "m" + i)).join().message().id();
    }
    store.close();
    try (Connection c = raw();
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM inbox WHERE message_id = " + newest);
      s.executeUpdate("DELETE FROM message WHERE id = " + newest);
    }
    store = open(WriterState.MAX_ACCOUNTS);
    assertThat(store.append(direct("alice", "bob", "after")).join().message().id())
        .isGreaterThan(newest);
  }

  @Test
  void aNameDeletedAndCreatedAgainInOneBatchStartsAFreshInbox() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    CompletableFuture<Appended> toOld = store.append(direct("alice", "bob", "to the old bob"));
    CompletableFuture<Boolean> deleted = CompletableFuture.supplyAsync(() -> store.deleteAccount("bob"));
    await().atMost(Duration.ofSeconds(10)).until(() -> store.pendingWrites() == 2);
    CompletableFuture<Void> created =
        CompletableFuture.runAsync(() -> store.createAccount("bob", null, T0));
    await().atMost(Duration.ofSeconds(10)).until(() -> store.pendingWrites() == 3);
    CompletableFuture<Appended> toNew = store.append(direct("alice", "bob", "to the new bob"));
    hold.countDown();

    assertThat(toOld.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(1);
    assertThat(deleted.get(20, TimeUnit.SECONDS)).isTrue();
    created.get(20, TimeUnit.SECONDS);
    assertThat(toNew.get(20, TimeUnit.SECONDS).deliveries().get(0).seq()).isEqualTo(1);
    assertThat(store.inbox("bob", 0, 10)).extracting(d -> d.message().text())
        .containsExactly("to the new bob");
    assertThat(store.lastSeq("bob")).isEqualTo(1);
  }

  @Test
  void anAckInTheSameBatchAsItsAppendsStopsAtTheLastSequenceAssigned() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    store.append(direct("alice", "bob", "one"));
    store.append(direct("alice", "bob", "two"));
    CompletableFuture<Void> acked = CompletableFuture.runAsync(() -> store.ack("bob", 100));
    await().atMost(Duration.ofSeconds(10)).until(() -> store.pendingWrites() == 3);
    hold.countDown();
    acked.get(20, TimeUnit.SECONDS);

    assertThat(store.ackedSeq("bob")).isEqualTo(2);
    assertThat(store.inbox("bob", 0, 10)).isEmpty();
    Appended three = store.append(direct("alice", "bob", "three")).join();
    assertThat(three.deliveries().get(0).seq()).isEqualTo(3);
    assertThat(store.inbox("bob", 0, 10)).extracting(Delivery::seq).containsExactly(3L);
  }

  @Test
  void sequencesContinueAfterEverythingWasAckedAndTheStoreReopened() throws Exception {
    accounts("alice", "bob");
    for (int i = 0; i < 3; i++) {
      store.append(direct("alice", "bob", "m" + i)).join();
    }
    store.ack("bob", 3);
    assertThat(store.inbox("bob", 0, 10)).as("acked rows are deleted").isEmpty();
    assertThat(store.lastSeq("bob")).isEqualTo(3);

    reopen(WriterState.MAX_ACCOUNTS);
    assertThat(store.lastSeq("bob")).as("derived from acked_seq").isEqualTo(3);
    assertThat(store.append(direct("alice", "bob", "after")).join().deliveries().get(0).seq())
        .isEqualTo(4);
    store.ack("bob", 100);
    assertThat(store.ackedSeq("bob")).as("an ack stops at the last sequence").isEqualTo(4);
  }

  @Test
  void aLastSeqColumnAheadOfTheInboxIsAFloorForTheNextSequence() throws Exception {
    // A store written by an earlier Spartan kept account.last_seq up to date; nothing writes it
    // now, but where it is ahead it still counts.
    accounts("alice", "bob");
    store.append(direct("alice", "bob", "one")).join();
    store.close();
    try (Connection c = raw();
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE account SET last_seq = 10 WHERE name = 'bob'");
    }
    store = open(WriterState.MAX_ACCOUNTS);
    assertThat(store.lastSeq("bob")).isEqualTo(10);
    assertThat(store.append(direct("alice", "bob", "two")).join().deliveries().get(0).seq())
        .isEqualTo(11);
  }

  @Test
  void pastItsBoundTheWriterForgetsAccountsAndKeepsCountingFromTheTable() throws Exception {
    List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6");
    accounts("alice");
    users.forEach(this::accounts);
    reopen(2);
    holdWriter();
    List<CompletableFuture<Appended>> sent = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (String u : users) {
        sent.add(store.append(direct("alice", u, u + " " + round)));
      }
    }
    hold.countDown();
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

    for (String u : users) {
      assertThat(store.inbox(u, 0, 10)).extracting(Delivery::seq).containsExactly(1L, 2L, 3L);
      assertThat(store.lastSeq(u)).isEqualTo(3);
    }
    reopen(2);
    assertThat(store.append(direct("alice", "u1", "again")).join().deliveries().get(0).seq())
        .isEqualTo(4);
  }

  @Test
  void aGroupMessageToManyMembersGivesEachOneInboxRow() {
    // 69 recipients: more than one multi-row INSERT, and every chunk size.
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      members.add("m" + i);
    }
    members.forEach(this::accounts);
    store.createGroup("big", "m0", GroupPolicy.PRIVATE, T0);
    for (String m : members.subList(1, members.size())) {
      store.addMember("big", m, GroupRole.MEMBER, 0, 1000);
    }
    List<String> recipients = members.subList(1, members.size());
    Draft d =
        new Draft(
            "m0",
            Recipient.group("big"),
            MessageBody.text("hello all"),
            T0,
            null,
            "g:" + store.findGroup("big").orElseThrow().id(),
            recipients);
    Appended a = store.append(d).join();
    assertThat(a.recipients()).containsExactlyElementsOf(recipients);
    assertThat(a.deliveries()).extracting(Delivery::seq).containsOnly(1L);
    for (String m : recipients) {
      assertThat(store.inbox(m, 0, 10)).extracting(x -> x.message().id())
          .containsExactly(a.message().id());
    }
    assertThat(store.inbox("m0", 0, 10)).isEmpty();
  }

  @Test
  void appendFuturesCompleteOnTheCallbacksExecutorInCommitOrder() throws Exception {
    accounts("alice", "bob");
    holdWriter();
    List<Long> ids = Collections.synchronizedList(new ArrayList<>());
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      done.add(
          store
              .append(direct("alice", "bob", "q" + i))
              .thenAccept(
                  a -> {
                    ids.add(a.message().id());
                    threads.add(Thread.currentThread().getName());
                  }));
    }
    hold.countDown();
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(ids).hasSize(300).isSorted();
    assertThat(threads).containsOnly("callbacks");
  }

  @Test
  void aWriteOrACloseFromACallbackOnTheCallbacksExecutorDoesNotDeadlock() throws Exception {
    accounts("alice", "bob");
    CompletableFuture<String> created =
        store
            .append(direct("alice", "bob", "hello"))
            .thenApply(a -> store.createAccount("carol", null, T0).user());
    assertThat(created.get(20, TimeUnit.SECONDS)).isEqualTo("carol");
    // A close from the lane cannot wait for the lane: it returns, and completes after it.
    store.append(direct("alice", "bob", "bye")).thenRun(store::close).get(20, TimeUnit.SECONDS);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThatThrownBy(() -> store.findAccount("carol"))
                    .isInstanceOf(ChatException.class)
                    .satisfies(
                        e ->
                            assertThat(((ChatException) e).code())
                                .isEqualTo(ErrorCode.UNAVAILABLE)));
  }

  @Test
  void aFoundAccountIsRememberedUntilItIsDeletedAndANewOneOfTheSameNameIsFound() {
    accounts("alice");
    long first = store.findAccount("alice").orElseThrow().id();
    assertThat(store.cachedAccounts()).isEqualTo(1);
    assertThat(store.findAccount("alice").orElseThrow().id()).isEqualTo(first);

    assertThat(store.deleteAccount("alice")).isTrue();
    assertThat(store.findAccount("alice")).isEmpty();
    assertThat(store.cachedAccounts()).as("absence is not remembered").isZero();
    long second = store.createAccount("alice", "hash", T0).id();
    assertThat(store.findAccount("alice").orElseThrow())
        .satisfies(a -> assertThat(a.id()).isEqualTo(second).isGreaterThan(first))
        .satisfies(a -> assertThat(a.passwordHash()).isEqualTo("hash"));
  }

  @Test
  void theAccountLookupCacheHoldsNoMoreThanItsBound() {
    List<String> users = List.of("u1", "u2", "u3", "u4", "u5");
    users.forEach(this::accounts);
    reopen(2);
    for (int round = 0; round < 2; round++) {
      for (String u : users) {
        assertThat(store.findAccount(u).orElseThrow().user()).isEqualTo(u);
      }
    }
    assertThat(store.cachedAccounts()).isEqualTo(2);
  }

  @Test
  void aFoundGroupIsRememberedUntilItsRosterOrPolicyChanges() {
    accounts("alice", "bob", "carol");
    store.createGroup("team", "alice", GroupPolicy.PRIVATE, T0);
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("alice");
    assertThat(store.cachedGroups()).isEqualTo(1);

    store.addMember("team", "bob", GroupRole.MEMBER, 0);
    assertThat(store.cachedGroups()).as("a change drops the entry").isZero();
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("alice", "bob");

    store.setRole("team", "bob", GroupRole.ADMIN);
    assertThat(store.findGroup("team").orElseThrow().member("bob").role())
        .isEqualTo(GroupRole.ADMIN);
    store.setPolicy("team", new GroupPolicy(true, false));
    assertThat(store.findGroup("team").orElseThrow().policy()).isEqualTo(new GroupPolicy(true, false));
    store.addMember("team", "carol", GroupRole.MEMBER, 0);
    store.removeMember("team", "bob");
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("alice", "carol");

    // A deleted account leaves every group by cascade, and its ownership passes on.
    assertThat(store.deleteAccount("alice")).isTrue();
    GroupRecord after = store.findGroup("team").orElseThrow();
    assertThat(after.members()).containsExactly("carol");
    assertThat(after.member("carol").role()).isEqualTo(GroupRole.OWNER);
    store.removeMember("team", "carol");
    assertThat(store.findGroup("team")).as("the last member gone, the group is gone").isEmpty();
    assertThat(store.cachedGroups()).as("absence is not remembered").isZero();
  }

  @Test
  void theMessagesKeptForReadingTakeAtMostAThirtySecondOfTheHeap() {
    assertThat(SqliteChatStore.recentSlots(96L << 20)).as("-Xmx96m: 2 MiB").isEqualTo(2048);
    assertThat(SqliteChatStore.recentSlots(8L << 30)).as("capped at 32 MiB").isEqualTo(1 << 15);
    assertThat(SqliteChatStore.recentSlots(1L << 20)).as("a floor").isEqualTo(256);
    assertThat(SqliteChatStore.RECENT_SLOTS * (long) SqliteChatStore.RECENT_MAX_BYTES)
        .isLessThanOrEqualTo(Math.max(256 * 1024, Runtime.getRuntime().maxMemory() / 32));
  }

  @Test
  void aMessageKeptForReadingIsReadFromMemoryAndOneNotKeptFromTheTable() throws Exception {
    accounts("alice", "bob");
    Appended kept = store.append(direct("alice", "bob", "kept")).join();
    store.readLater(kept.message());
    Appended notKept = store.append(direct("alice", "bob", "not kept")).join();
    assertThat(store.inbox("bob", 0, 10))
        .extracting(Delivery::message)
        .containsExactly(kept.message(), notKept.message());
    assertThat(store.inbox("bob", 0, 1).get(0).message())
        .as("the very object kept")
        .isSameAs(kept.message());
    assertThat(store.inbox("bob", 1, 10).get(0).message())
        .as("read back from the table")
        .isNotSameAs(notKept.message())
        .isEqualTo(notKept.message());
  }

  @Test
  void theWalIsCheckpointedIntoTheDatabaseFileOffTheWriter() throws Exception {
    accounts("alice", "bob");
    Path db = dir.resolve(SqliteChatStore.FILE_NAME);
    long before = java.nio.file.Files.size(db);
    List<CompletableFuture<Appended>> sent = new ArrayList<>();
    int messages = 2 * Checkpointer.ROWS_PER_CHECKPOINT / DIRECT_ROWS;
    for (int i = 0; i < messages; i++) {
      sent.add(store.append(direct("alice", "bob", "m" + i)));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    // Without a checkpoint every new page stays in the WAL and the database file keeps its size.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> java.nio.file.Files.size(db) > before);
    assertThat(store.inbox("bob", 0, messages)).hasSize(messages);
  }

  @Test
  void underSteadyWritesTheWalStartsAgainFromItsBeginningInsteadOfGrowing() throws Exception {
    accounts("alice", "bob");
    Path wal = dir.resolve(SqliteChatStore.FILE_NAME + "-wal");
    int total = 10 * Checkpointer.ROWS_PER_CHECKPOINT / DIRECT_ROWS;
    sendSteadily(total, i -> direct("alice", "bob", "m" + i));

    // The WAL header's checkpoint sequence counts the times SQLite started the log again.
    assertThat(walRestarts(wal)).as("times the WAL started again").isGreaterThanOrEqualTo(3);
    assertThat(store.inbox("bob", total - 2, 10)).extracting(Delivery::seq)
        .containsExactly((long) total - 1, (long) total);
  }

  @Test
  void aGroupMessageCountsEveryInboxRowItWritesTowardTheNextCheckpoint() throws Exception {
    // Counted as one write each, these messages would not reach one checkpoint between them:
    // their inbox rows must, or the WAL grows by a page per member per commit without end.
    int size = 256;
    List<String> members = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      members.add("m" + i);
    }
    members.forEach(this::accounts);
    store.createGroup("big", "m0", GroupPolicy.PRIVATE, T0);
    for (String m : members.subList(1, size)) {
      store.addMember("big", m, GroupRole.MEMBER, 0, size);
    }
    String conversation = "g:" + store.findGroup("big").orElseThrow().id();
    List<String> recipients = members.subList(1, size);
    int total = 40 * Checkpointer.ROWS_PER_CHECKPOINT / size;
    assertThat(total).as("writes").isLessThan(Checkpointer.ROWS_PER_CHECKPOINT / 4);
    Path wal = dir.resolve(SqliteChatStore.FILE_NAME + "-wal");
    sendSteadily(
        total,
        i ->
            new Draft("m0", Recipient.group("big"), MessageBody.text("g" + i), T0, null,
                conversation, recipients));

    assertThat(walRestarts(wal)).as("times the WAL started again").isGreaterThanOrEqualTo(3);
    assertThat(store.inbox("m" + (size - 1), total - 1, 10)).extracting(Delivery::seq)
        .containsExactly((long) total);
  }

  /** What a direct message counts toward a checkpoint: the write, its message and inbox rows. */
  private static final int DIRECT_ROWS = 3;

  /**
   * Appends {@code total} drafts with hundreds queued all the time, so the background checkpoint
   * always runs beside the writer, and waits for all of them.
   */
  private void sendSteadily(int total, java.util.function.IntFunction<Draft> draft)
      throws Exception {
    Semaphore inFlight = new Semaphore(512);
    List<CompletableFuture<Appended>> sent = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      assertThat(inFlight.tryAcquire(20, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Appended> f = store.append(draft.apply(i));
      f.whenComplete((a, e) -> inFlight.release());
      sent.add(f);
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  private static long walRestarts(Path wal) throws java.io.IOException {
    try (var in = java.nio.channels.FileChannel.open(wal)) {
      java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(16); // big-endian
      in.read(header, 0);
      return Integer.toUnsignedLong(header.getInt(12));
    }
  }

  private void accounts(String... names) {
    for (String n : names) {
      store.createAccount(n, null, T0);
    }
  }

  private static Draft direct(String from, String to, String text) {
    return direct(from, to, text, null);
  }

  private static Draft direct(String from, String to, String text, String clientMsgId) {
    String conv = from.compareTo(to) < 0 ? "d:" + from + ":" + to : "d:" + to + ":" + from;
    return new Draft(
        from, Recipient.user(to), MessageBody.text(text), T0, clientMsgId, conv, List.of(to));
  }

  private Connection raw() throws java.sql.SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteChatStore.FILE_NAME));
  }

  /** Occupies the writer thread until {@link #hold} is released, so writes queue into one batch. */
  private void holdWriter() throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    writerThread.execute(
        () -> {
          running.countDown();
          try {
            hold.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private static java.util.concurrent.ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
