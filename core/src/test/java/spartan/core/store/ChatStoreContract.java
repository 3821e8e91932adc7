package spartan.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.store.ChatStore.GroupRecord;

/**
 * The {@link ChatStore} contract, stated once and run against every store (one small subclass
 * each). A store-specific subclass adds what only it promises, such as surviving a restart.
 */
public abstract class ChatStoreContract {

  /** Opens a fresh store (or, for a durable one, the store kept in {@code dir}). */
  protected abstract ChatStore open(Path dir) throws Exception;

  @TempDir protected Path dir;
  protected ChatStore store;

  /** Has nanoseconds, so a store that truncates instants fails the round trips. */
  protected static final Instant T0 = Instant.parse("2026-01-01T10:15:30.123456789Z");

  @BeforeEach
  void openStore() throws Exception {
    store = open(dir);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  protected void accounts(String... names) {
    for (String n : names) {
      store.createAccount(n, null, T0);
    }
  }

  protected static Draft direct(String from, String to, String text) {
    return direct(from, to, MessageBody.text(text), null);
  }

  protected static Draft direct(String from, String to, MessageBody body, String clientMsgId) {
    String conv = from.compareTo(to) < 0 ? "d:" + from + ":" + to : "d:" + to + ":" + from;
    return new Draft(from, Recipient.user(to), body, T0, clientMsgId, conv, List.of(to));
  }

  protected static Draft toGroup(String from, String group, String text, String... recipients) {
    return new Draft(
        from,
        Recipient.group(group),
        MessageBody.text(text),
        T0,
        null,
        "g:" + group,
        List.of(recipients));
  }

  /** A private group owned by {@code owner} with {@code members} reading from the start. */
  protected GroupRecord group(String name, String owner, String... members) {
    store.createGroup(name, owner, GroupPolicy.PRIVATE, T0);
    for (String m : members) {
      store.addMember(name, m, GroupRole.MEMBER, 0);
    }
    return store.findGroup(name).orElseThrow();
  }

  protected Appended append(Draft d) {
    return store.append(d).join();
  }

  protected static void assertCode(ErrorCode code, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(code));
  }

  private static List<String> texts(List<Delivery> ds) {
    return ds.stream().map(d -> d.message().text()).toList();
  }

  private static List<Long> seqs(List<Delivery> ds) {
    return ds.stream().map(Delivery::seq).toList();
  }

  // ---- accounts ---------------------------------------------------------------------------------

  @Test
  void anAccountRoundTripsAndItsNameIsTakenOnce() {
    AccountRecord a = store.createAccount("alice", "$argon2id$v=19$hash", T0);
    assertThat(a.id()).isPositive();
    assertThat(a.user()).isEqualTo("alice");
    assertThat(store.findAccount("alice")).contains(a);
    assertThat(store.createAccount("bob", null, T0).passwordHash()).isNull();
    assertThat(store.findAccount("bob").orElseThrow().passwordHash()).isNull();
    assertThat(store.findAccount("nobody")).isEmpty();
    assertCode(ErrorCode.ALREADY_EXISTS, () -> store.createAccount("alice", null, T0));
    assertThat(store.findAccount("alice")).contains(a);
  }

  @Test
  void accountIdsAreNeverReusedEvenAfterDeletingTheNewest() {
    long alice = store.createAccount("alice", null, T0).id();
    long bob = store.createAccount("bob", null, T0).id();
    assertThat(bob).isGreaterThan(alice);
    assertThat(store.deleteAccount("bob")).isTrue();
    long carol = store.createAccount("carol", null, T0).id();
    assertThat(carol).isGreaterThan(bob);
    long bobAgain = store.createAccount("bob", null, T0).id();
    assertThat(bobAgain).isGreaterThan(carol);
  }

  @Test
  void deletingAnAccountCascadesToInboxAckStateAndGroups() {
    accounts("alice", "bob", "carol");
    group("duo", "alice", "bob");
    group("solo", "alice");
    append(direct("bob", "alice", "one"));
    append(direct("bob", "alice", "two"));
    store.ack("alice", 1);
    Appended sent = append(direct("alice", "carol", "from the old alice"));

    assertThat(store.deleteAccount("alice")).isTrue();
    assertThat(store.deleteAccount("alice")).isFalse();
    assertThat(store.findAccount("alice")).isEmpty();
    assertThat(store.inbox("alice", 0, 10)).isEmpty();
    assertThat(store.lastSeq("alice")).isZero();
    assertThat(store.ackedSeq("alice")).isZero();
    assertThat(store.findGroup("solo")).as("a group left empty is deleted").isEmpty();
    assertThat(store.findGroup("duo").orElseThrow().members()).containsExactly("bob");
    assertThat(store.groupsOf("alice", null, 10)).isEmpty();
    // what alice sent stays with its recipients
    assertThat(store.inbox("carol", 0, 10)).containsExactly(new Delivery(1, sent.message()));
    assertThat(store.history("d:alice:carol", 0, 10))
        .containsExactly(sent.message());
  }

  @Test
  void aRecreatedAccountStartsAfresh() {
    accounts("alice", "bob");
    group("team", "alice", "bob");
    append(direct("bob", "alice", "old"));
    append(direct("alice", "bob", MessageBody.text("old-dedupe"), "c-1"));
    store.deleteAccount("alice");

    store.createAccount("alice", null, T0);
    assertThat(store.inbox("alice", 0, 10)).isEmpty();
    assertThat(store.lastSeq("alice")).isZero();
    assertThat(store.groupsOf("alice", null, 10)).isEmpty();
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("bob");
    assertThat(append(direct("bob", "alice", "new")).deliveries().get(0).seq()).isEqualTo(1);
    Appended reused = append(direct("alice", "bob", MessageBody.text("new-dedupe"), "c-1"));
    assertThat(reused.duplicate()).as("client ids belong to the old account").isFalse();
  }

  @Test
  void listingMatchesWholeNamesByGlobInOrder() {
    accounts("qux", "bob", "alice", "charlie", "eve", "foo", "bar", "baz", "a.b-c_9");
    assertThat(store.listAccounts("*", null, 100))
        .containsExactly("a.b-c_9", "alice", "bar", "baz", "bob", "charlie", "eve", "foo", "qux");
    assertThat(store.listAccounts("ba?", null, 100)).containsExactly("bar", "baz");
    assertThat(store.listAccounts("b*", null, 100)).containsExactly("bar", "baz", "bob");
    assertThat(store.listAccounts("*li*", null, 100)).containsExactly("alice", "charlie");
    assertThat(store.listAccounts("li", null, 100)).isEmpty();
    assertThat(store.listAccounts("a.b-c_?", null, 100)).containsExactly("a.b-c_9");
    assertThat(store.listAccounts("a?b*", null, 100)).containsExactly("a.b-c_9");
  }

  @Test
  void listingPagesStrictlyAfterTheCursor() {
    for (int i = 0; i < 25; i++) {
      accounts(String.format("user%02d", i));
    }
    accounts("zed");
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    while (true) {
      List<String> page = store.listAccounts("user*", after, 10);
      assertThat(page).hasSizeLessThanOrEqualTo(10);
      if (page.isEmpty()) {
        break;
      }
      seen.addAll(page);
      after = page.get(page.size() - 1);
      pages++;
    }
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted();
    assertThat(store.listAccounts("*", "user05", 2)).containsExactly("user06", "user07");
    assertThat(store.listAccounts("*", "user05x", 1)).as("cursor need not exist").containsExactly("user06");
    assertThat(store.listAccounts("*", "zed", 10)).isEmpty();
  }

  // ---- groups -----------------------------------------------------------------------------------

  @Test
  void aGroupRoundTripsWithSortedMembersRolesAndPolicy() {
    accounts("alice", "bob", "carol");
    group("team", "carol", "alice", "bob");
    GroupRecord g = store.findGroup("team").orElseThrow();
    assertThat(g.members()).containsExactly("alice", "bob", "carol");
    assertThat(g.member("carol").role()).isEqualTo(GroupRole.OWNER);
    assertThat(g.member("alice").role()).isEqualTo(GroupRole.MEMBER);
    assertThat(g.policy()).isEqualTo(GroupPolicy.PRIVATE);
    assertThat(g.createdAt()).isEqualTo(T0);
    assertThat(store.findGroup("nope")).isEmpty();
    assertCode(ErrorCode.ALREADY_EXISTS, () -> group("team", "alice"));
    store.setPolicy("team", new GroupPolicy(true, true));
    assertThat(store.setRole("team", "bob", GroupRole.ADMIN)).isTrue();
    assertThat(store.setRole("team", "zed", GroupRole.ADMIN)).isFalse();
    GroupRecord after = store.findGroup("team").orElseThrow();
    assertThat(after.policy()).isEqualTo(new GroupPolicy(true, true));
    assertThat(after.member("bob").role()).isEqualTo(GroupRole.ADMIN);
  }

  @Test
  void creatingAGroupForAnUnknownOwnerCreatesNothing() {
    assertCode(
        ErrorCode.NOT_FOUND, () -> store.createGroup("team", "zed", GroupPolicy.PRIVATE, T0));
    assertThat(store.findGroup("team")).isEmpty();
  }

  @Test
  void aMemberReadsFromTheJoinAndSeniorityDecidesTheSuccessor() {
    accounts("alice", "bob", "carol", "dan");
    store.createGroup("team", "alice", GroupPolicy.PRIVATE, T0);
    Appended before = append(toGroup("alice", "team", "before bob"));
    store.addMember("team", "bob", GroupRole.MEMBER, ChatStore.NOW);
    store.addMember("team", "carol", GroupRole.MEMBER, ChatStore.NOW);
    store.addMember("team", "dan", GroupRole.MEMBER, 0);
    GroupRecord g = store.findGroup("team").orElseThrow();
    assertThat(g.member("bob").since()).isEqualTo(before.message().id());
    assertThat(g.member("dan").since()).isZero();
    assertThat(g.successorOf("alice")).as("no admin: the longest-standing member").isEqualTo("bob");
    store.setRole("team", "carol", GroupRole.ADMIN);
    assertThat(store.findGroup("team").orElseThrow().successorOf("alice"))
        .as("an admin before any member")
        .isEqualTo("carol");
    assertThat(store.findGroup("team").orElseThrow().successorOf("bob")).isNull();

    store.deleteAccount("alice");
    GroupRecord left = store.findGroup("team").orElseThrow();
    assertThat(left.member("carol").role()).isEqualTo(GroupRole.OWNER);
    assertThat(left.members()).containsExactly("bob", "carol", "dan");
  }

  @Test
  void invitationsAreBoundedSkippedForMembersAndDroppedOnJoin() {
    accounts("alice", "bob", "carol", "dan");
    store.createGroup("team", "alice", GroupPolicy.PRIVATE, T0);
    assertThat(store.invite("team", List.of("bob", "carol", "bob", "alice"), "alice", T0, 10))
        .containsExactly("bob", "carol");
    assertThat(store.invite("team", List.of("bob"), "alice", T0, 10)).isEmpty();
    assertThat(store.invitesOf("bob")).containsExactly(new GroupInvite("team", "alice", T0));
    assertCode(
        ErrorCode.INVALID_ARGUMENT, () -> store.invite("team", List.of("dan"), "alice", T0, 3));
    assertCode(ErrorCode.NOT_FOUND, () -> store.invite("team", List.of("dan", "zed"), "alice", T0, 10));
    assertThat(store.invitesOf("dan")).as("all or none").isEmpty();
    assertCode(
        ErrorCode.INVALID_ARGUMENT, () -> store.addMember("team", "dan", GroupRole.MEMBER, 0, 1));
    assertThat(store.addMember("team", "alice", GroupRole.MEMBER, 0, 1))
        .as("already a member: no size check")
        .isFalse();
    store.addMember("team", "bob", GroupRole.MEMBER, ChatStore.NOW);
    assertThat(store.invitesOf("bob")).isEmpty();
    assertThat(store.deleteInvite("team", "carol")).isTrue();
    assertThat(store.deleteInvite("team", "carol")).isFalse();

    for (int i = 0; i < Limits.MAX_PENDING_INVITES; i++) {
      // from several inviters: one inviter alone may hold only a few of dan's
      String by = i % 20 == 0 ? "alice" : "inviter" + (i % 20);
      if (store.findAccount(by).isEmpty()) {
        store.createAccount(by, null, T0);
      }
      store.createGroup("g" + i, by, GroupPolicy.PRIVATE, T0);
      store.invite("g" + i, List.of("dan"), by, T0, 10);
    }
    assertThatThrownBy(() -> store.invite("team", List.of("dan"), "alice", T0, 10))
        .hasMessageContaining("too many pending invitations");
    store.deleteAccount("dan");
    store.createAccount("dan", null, T0);
    assertThat(store.invitesOf("dan")).as("gone with the account").isEmpty();
  }

  @Test
  void oneInviterCannotFillAnothersInvitationsNorKeepThemPastTheirAccount() {
    accounts("alice", "bob", "carol", "eve");
    for (int i = 0; i < Limits.MAX_PENDING_INVITES_PER_INVITER; i++) {
      store.createGroup("spam" + i, "eve", GroupPolicy.PRIVATE, T0);
      store.invite("spam" + i, List.of("bob"), "eve", T0, 10);
    }
    store.createGroup("spam", "eve", GroupPolicy.PRIVATE, T0);
    assertThatThrownBy(() -> store.invite("spam", List.of("carol", "bob"), "eve", T0, 10))
        .hasMessageContaining("too many pending invitations from you");
    assertThat(store.invitesOf("carol")).as("all or none").isEmpty();
    store.createGroup("team", "alice", GroupPolicy.PRIVATE, T0);
    assertThat(store.invite("team", List.of("bob"), "alice", T0, 10)).containsExactly("bob");

    // an inviter's invitations out are at most twice the group size
    accounts("u1", "u2", "u3", "u4");
    store.createGroup("wide", "carol", GroupPolicy.PRIVATE, T0);
    store.invite("wide", List.of("u1", "u2", "u3"), "carol", T0, 4);
    store.createGroup("wide2", "carol", GroupPolicy.PRIVATE, T0);
    store.invite("wide2", List.of("u1", "u2", "u3"), "carol", T0, 4);
    store.createGroup("wide3", "carol", GroupPolicy.PRIVATE, T0);
    assertThatThrownBy(() -> store.invite("wide3", List.of("u4", "u1", "u2"), "carol", T0, 4))
        .hasMessageContaining("invitations waiting for an answer");
    assertThat(store.invitesOf("u4")).isEmpty();

    // the inviter's account goes, and their invitations with it: a new "eve" inherits none
    store.deleteAccount("eve");
    store.createAccount("eve", null, T0);
    assertThat(store.invitesOf("bob")).containsExactly(new GroupInvite("team", "alice", T0));
    store.createGroup("again", "eve", GroupPolicy.PRIVATE, T0);
    assertThat(store.invite("again", List.of("bob"), "eve", T0, 10)).containsExactly("bob");
  }

  @Test
  void joiningAndLeavingChangeMembershipAndTheLastToLeaveDeletesTheGroup() {
    accounts("alice", "bob", "carol");
    group("team", "alice");
    assertThat(store.addMember("team", "bob", GroupRole.MEMBER, ChatStore.NOW)).isTrue();
    assertThat(store.addMember("team", "bob", GroupRole.MEMBER, ChatStore.NOW)).isFalse();
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("alice", "bob");
    assertThat(store.removeMember("team", "carol")).isFalse();
    assertThat(store.removeMember("team", "alice")).isTrue();
    assertThat(store.findGroup("team").orElseThrow().members()).containsExactly("bob");
    assertThat(store.removeMember("team", "bob")).isTrue();
    assertThat(store.findGroup("team")).isEmpty();
    assertCode(
        ErrorCode.NOT_FOUND, () -> store.addMember("team", "alice", GroupRole.MEMBER, 0));
    assertCode(ErrorCode.NOT_FOUND, () -> store.removeMember("team", "alice"));
  }

  @Test
  void groupsOfListsMyGroupsByNameAfterTheCursor() {
    accounts("alice", "bob");
    for (String g : List.of("g3", "g1", "g2")) {
      group(g, "alice");
    }
    group("bobs", "bob");
    group("both", "alice", "bob");
    assertThat(store.groupsOf("alice", null, 10))
        .extracting(GroupRecord::group)
        .containsExactly("both", "g1", "g2", "g3");
    assertThat(store.groupsOf("alice", null, 2))
        .extracting(GroupRecord::group)
        .containsExactly("both", "g1");
    assertThat(store.groupsOf("alice", "g1", 10))
        .extracting(GroupRecord::group)
        .containsExactly("g2", "g3");
    assertThat(store.groupsOf("bob", null, 10).get(1))
        .isEqualTo(store.findGroup("both").orElseThrow());
    assertThat(store.groupsOf("nobody", null, 10)).isEmpty();
  }

  // ---- messages ---------------------------------------------------------------------------------

  @Test
  void appendGivesEachRecipientItsOwnIncreasingSequence() {
    accounts("alice", "bob", "carol");
    group("team", "alice", "bob", "carol");
    Appended toBoth = append(toGroup("alice", "team", "hi all", "bob", "carol"));
    assertThat(toBoth.duplicate()).isFalse();
    assertThat(toBoth.recipients()).containsExactly("bob", "carol");
    assertThat(seqs(toBoth.deliveries())).containsExactly(1L, 1L);
    Appended toBob = append(direct("alice", "bob", "just bob"));
    assertThat(seqs(toBob.deliveries())).containsExactly(2L);
    assertThat(toBob.message().id()).isGreaterThan(toBoth.message().id());

    assertThat(texts(store.inbox("bob", 0, 10))).containsExactly("hi all", "just bob");
    assertThat(seqs(store.inbox("bob", 0, 10))).containsExactly(1L, 2L);
    assertThat(texts(store.inbox("carol", 0, 10))).containsExactly("hi all");
    assertThat(store.lastSeq("bob")).isEqualTo(2);
    assertThat(store.lastSeq("carol")).isEqualTo(1);
    assertThat(store.lastSeq("alice")).isZero();
  }

  @Test
  void aRecipientWhoseAccountIsGoneIsSkipped() {
    // the service checked the recipients, but an account can be deleted before the write lands
    accounts("alice", "bob");
    group("team", "alice", "bob");
    Appended a = append(toGroup("alice", "team", "hi", "bob", "gone"));
    assertThat(a.recipients()).containsExactly("bob");
    assertThat(seqs(a.deliveries())).containsExactly(1L);
  }

  @Test
  void aResendWithTheSameClientIdIsStoredOnceAndReturnsTheOriginal() {
    accounts("alice", "bob", "carol");
    Appended first = append(direct("alice", "bob", MessageBody.text("once"), "c-1"));
    Appended again = append(direct("alice", "bob", MessageBody.text("changed"), "c-1"));
    assertThat(again.duplicate()).isTrue();
    assertThat(again.message()).isEqualTo(first.message());
    assertThat(again.deliveries()).isEmpty();
    assertThat(again.recipients()).isEmpty();
    assertThat(texts(store.inbox("bob", 0, 10))).containsExactly("once");
    assertThat(store.lastSeq("bob")).isEqualTo(1);

    assertThat(append(direct("carol", "bob", MessageBody.text("other sender"), "c-1")).duplicate())
        .as("the key is (from, clientMsgId)")
        .isFalse();
    assertThat(append(direct("alice", "bob", MessageBody.text("no id"), null)).duplicate()).isFalse();
    assertThat(append(direct("alice", "bob", MessageBody.text("no id"), null)).duplicate()).isFalse();
    assertThat(store.lastSeq("bob")).isEqualTo(4);
  }

  @Test
  void theAuthModeIsRecordedAndPasswordAccountsCounted() {
    assertThat(store.recordedAuthMode()).isEmpty();
    assertThat(store.passwordAccounts()).isZero();
    store.createAccount("alice", null, T0);
    store.createAccount("bob", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", T0);
    assertThat(store.passwordAccounts()).isEqualTo(1);
    store.recordAuthMode(spartan.core.AuthMode.PASSWORD);
    assertThat(store.recordedAuthMode()).contains(spartan.core.AuthMode.PASSWORD);
    store.recordAuthMode(spartan.core.AuthMode.OPEN);
    assertThat(store.recordedAuthMode()).contains(spartan.core.AuthMode.OPEN);
  }

  @Test
  void aClientIdIsScopedToTheConversation() {
    accounts("alice", "bob", "carol");
    Appended toBob = append(direct("alice", "bob", MessageBody.text("for bob"), "c-1"));
    Appended toCarol = append(direct("alice", "carol", MessageBody.text("for carol"), "c-1"));
    assertThat(toCarol.duplicate()).isFalse();
    assertThat(toCarol.message().id()).isNotEqualTo(toBob.message().id());
    assertThat(texts(store.inbox("carol", 0, 10))).containsExactly("for carol");
    assertThat(append(direct("alice", "carol", MessageBody.text("again"), "c-1")).duplicate())
        .isTrue();
    assertThat(append(direct("alice", "bob", MessageBody.text("again"), "c-1")).message())
        .isEqualTo(toBob.message());
  }

  @Test
  void ackOnlyMovesForwardIsClampedAndDropsAckedEntries() {
    accounts("alice", "bob");
    for (int i = 1; i <= 5; i++) {
      append(direct("alice", "bob", "m" + i));
    }
    store.ack("bob", 3);
    assertThat(store.ackedSeq("bob")).isEqualTo(3);
    assertThat(seqs(store.inbox("bob", 0, 10))).containsExactly(4L, 5L);
    store.ack("bob", 2);
    assertThat(store.ackedSeq("bob")).as("never back").isEqualTo(3);
    store.ack("bob", 100);
    assertThat(store.ackedSeq("bob")).as("clamped to lastSeq").isEqualTo(5);
    assertThat(store.inbox("bob", 0, 10)).isEmpty();
    assertThat(seqs(append(direct("alice", "bob", "m6")).deliveries())).containsExactly(6L);
    assertThat(seqs(store.inbox("bob", 0, 10))).containsExactly(6L);
    store.ack("nobody", 5); // no such user: nothing to do, no failure
    assertThat(store.ackedSeq("nobody")).isZero();
  }

  @Test
  void theInboxPagesBySequence() {
    accounts("alice", "bob");
    for (int i = 1; i <= 7; i++) {
      append(direct("alice", "bob", "m" + i));
    }
    assertThat(seqs(store.inbox("bob", 0, 3))).containsExactly(1L, 2L, 3L);
    assertThat(seqs(store.inbox("bob", 3, 3))).containsExactly(4L, 5L, 6L);
    assertThat(seqs(store.inbox("bob", 6, 3))).containsExactly(7L);
    assertThat(store.inbox("bob", 7, 3)).isEmpty();
    assertThat(store.inbox("nobody", 0, 3)).isEmpty();
  }

  @Test
  void historyReturnsTheNewestBeforeAnIdOldestFirst() {
    accounts("alice", "bob", "carol");
    List<Message> sent = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      sent.add(append(direct(i % 2 == 0 ? "bob" : "alice", i % 2 == 0 ? "alice" : "bob", "h" + i))
          .message());
      append(direct("alice", "carol", "elsewhere " + i));
    }
    assertThat(store.history("d:alice:bob", 0, 10)).containsExactlyElementsOf(sent);
    assertThat(store.history("d:alice:bob", 0, 2)).containsExactly(sent.get(3), sent.get(4));
    assertThat(store.history("d:alice:bob", sent.get(3).id(), 2))
        .containsExactly(sent.get(1), sent.get(2));
    assertThat(store.history("d:alice:bob", sent.get(0).id(), 10)).isEmpty();
    assertThat(store.history("d:nobody:none", 0, 10)).isEmpty();
  }

  @Test
  void aStoredMessageRoundTripsExactly() {
    accounts("alice", "bob", "carol");
    group("team", "bob", "carol");
    byte[] envelope = new byte[300];
    for (int i = 0; i < envelope.length; i++) {
      envelope[i] = (byte) i; // includes 0x00 and every high byte
    }
    List<Draft> drafts =
        List.of(
            direct("alice", "bob", MessageBody.text("héllo ✓ \uD83D\uDE00 'quotes' \"and\" ;"), "id-1"),
            direct("alice", "bob", MessageBody.text("42"), null),
            direct("alice", "bob", MessageBody.text("  spaced\nlines\t"), null),
            direct("alice", "bob", MessageBody.sealed(envelope), "sealed-1"),
            new Draft(
                "bob",
                Recipient.group("team"),
                MessageBody.sealed(new byte[] {0, 0, 0}),
                Instant.parse("1999-12-31T23:59:59.999999999Z"),
                null,
                "g:team",
                List.of("carol")));
    List<Message> stored = new ArrayList<>();
    for (Draft d : drafts) {
      Message m = append(d).message();
      assertThat(m.from()).isEqualTo(d.from());
      assertThat(m.to()).isEqualTo(d.to());
      assertThat(m.body()).isEqualTo(d.body());
      assertThat(m.sentAt()).isEqualTo(d.sentAt());
      assertThat(m.clientMsgId()).isEqualTo(d.clientMsgId());
      stored.add(m);
    }
    List<Message> inBob = store.inbox("bob", 0, 10).stream().map(Delivery::message).toList();
    assertThat(inBob).containsExactlyElementsOf(stored.subList(0, 4));
    assertThat(store.history("d:alice:bob", 0, 10)).containsExactlyElementsOf(stored.subList(0, 4));
    Message group = store.inbox("carol", 0, 1).get(0).message();
    assertThat(group).isEqualTo(stored.get(4));
    assertThat(group.body()).isInstanceOf(MessageBody.Sealed.class);
    assertThat(((MessageBody.Sealed) inBob.get(3).body()).envelope()).isEqualTo(envelope);
  }

  @Test
  @Timeout(60)
  void concurrentAppendsToOneRecipientGetGaplessIncreasingSequences() throws Exception {
    accounts("bob");
    int threads = 8;
    int each = 250;
    for (int t = 0; t < threads; t++) {
      accounts("s" + t);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<long[]>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String sender = "s" + t;
        results.add(
            CompletableFuture.supplyAsync(
                () -> {
                  await(go);
                  // Each thread keeps many appends in flight, as a busy server does.
                  List<CompletableFuture<Appended>> mine = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    mine.add(store.append(direct(sender, "bob", sender + "-" + i)));
                  }
                  return mine.stream().mapToLong(f -> f.join().deliveries().get(0).seq()).toArray();
                },
                pool));
      }
      go.countDown();
      List<Long> all = new ArrayList<>();
      for (CompletableFuture<long[]> r : results) {
        long[] mine = r.get(60, TimeUnit.SECONDS);
        for (int i = 1; i < mine.length; i++) {
          assertThat(mine[i]).as("one sender's appends keep their order").isGreaterThan(mine[i - 1]);
        }
        Arrays.stream(mine).forEach(all::add);
      }
      Collections.sort(all);
      assertThat(all)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, threads * each).boxed().toList());
      assertThat(store.lastSeq("bob")).isEqualTo(threads * each);
      assertThat(seqs(store.inbox("bob", 0, threads * each)))
          .containsExactlyElementsOf(LongStream.rangeClosed(1, threads * each).boxed().toList());
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void keyBundlesAreStoredPerAccountAndGoWithIt() {
    accounts("alice");
    assertThat(store.findKeys("alice")).isEmpty();
    store.putKeys("alice", new byte[] {1, 2, 3});
    assertThat(store.findKeys("alice")).hasValueSatisfying(k -> assertThat(k).containsExactly(1, 2, 3));
    store.putKeys("alice", new byte[] {4});
    assertThat(store.findKeys("alice")).hasValueSatisfying(k -> assertThat(k).containsExactly(4));
    assertCode(ErrorCode.NOT_FOUND, () -> store.putKeys("zed", new byte[] {1}));
    store.deleteAccount("alice");
    store.createAccount("alice", null, T0);
    assertThat(store.findKeys("alice")).isEmpty();
  }

  @Test
  void addingAnUnknownUserToAGroupIsNotFoundAndEmptyLimitsListNothing() {
    accounts("alice");
    group("team", "alice");
    assertCode(ErrorCode.NOT_FOUND, () -> store.addMember("team", "zed", GroupRole.MEMBER, 0));
    assertThat(store.listAccounts("*", null, 0)).isEmpty();
    assertThat(store.groupsOf("alice", null, 0)).isEmpty();
  }
}
