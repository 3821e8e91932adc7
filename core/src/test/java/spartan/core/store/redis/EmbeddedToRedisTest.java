package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.AuthMode;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.testing.RedisProcess;

/**
 * An embedded store moved to Redis reads the same through the redis store: accounts, keys,
 * groups, invitations, inboxes with their sequences and cursors, history and client ids; and
 * the moved store goes on from there without reusing an id or a sequence.
 */
@Timeout(60)
class EmbeddedToRedisTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30.123456789Z");

  @TempDir Path dir;
  private RedisProcess redis;
  private ExecutorService writer;

  @BeforeEach
  void start() {
    redis = RedisProcess.startOnFreePort();
    writer = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void stop() {
    redis.close();
    writer.shutdownNow();
  }

  private static Draft direct(String from, String to, String text, String clientMsgId) {
    String conv = from.compareTo(to) < 0 ? "d:" + from + ":" + to : "d:" + to + ":" + from;
    return new Draft(from, Recipient.user(to), MessageBody.text(text), T0, clientMsgId, conv,
        List.of(to));
  }

  @Test
  void everythingTheEmbeddedStoreHeldReadsTheSameFromRedis() {
    long teamId;
    try (SqliteChatStore old = SqliteChatStore.open(dir, writer)) {
      old.createAccount("alice", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", T0);
      old.createAccount("bob", null, T0);
      old.createAccount("carol", null, T0);
      old.createAccount("gone", null, T0);
      old.deleteAccount("gone"); // its id is never handed out again
      old.putKeys("alice", new byte[] {1, 2, 3});
      old.recordAuthMode(AuthMode.PASSWORD);
      teamId = old.createGroup("team", "alice", GroupPolicy.PRIVATE, T0).id();
      old.append(new Draft("alice", Recipient.group("team"), MessageBody.text("before bob"), T0,
          null, "g:" + teamId, List.of())).join();
      old.addMember("team", "bob", GroupRole.MEMBER, ChatStore.NOW);
      old.setRole("team", "bob", GroupRole.ADMIN);
      old.setPolicy("team", new GroupPolicy(true, true));
      old.invite("team", List.of("carol"), "alice", T0, 10);
      old.append(new Draft("alice", Recipient.group("team"), MessageBody.sealed(new byte[] {0, 9}),
          T0, "g-1", "g:" + teamId, List.of("bob"))).join();
      for (int i = 1; i <= 4; i++) {
        old.append(direct("alice", "bob", "m" + i, "c-" + i)).join();
      }
      old.ack("bob", 2);
    }
    // what the embedded store answers, to compare with
    ChatStore.AccountRecord alice;
    ChatStore.GroupRecord team;
    List<Delivery> bobsInbox;
    List<Message> direct;
    List<Message> group;
    long bobLast;
    try (SqliteChatStore old = SqliteChatStore.open(dir, writer)) {
      alice = old.findAccount("alice").orElseThrow();
      team = old.findGroup("team").orElseThrow();
      bobsInbox = old.inbox("bob", 0, 100);
      direct = old.history("d:alice:bob", 0, 100);
      group = old.history("g:" + teamId, 0, 100);
      bobLast = old.lastSeq("bob");
    }

    EmbeddedToRedis.Summary moved =
        EmbeddedToRedis.migrate(dir, RedisChatStore.builder().url(redis.url()));
    assertThat(moved).isEqualTo(new EmbeddedToRedis.Summary(3, 1, 1, 6, bobsInbox.size()));

    try (RedisChatStore now = RedisChatStore.builder().url(redis.url()).build()) {
      assertThat(now.findAccount("alice")).contains(alice);
      assertThat(now.findKeys("alice")).hasValueSatisfying(k -> assertThat(k).containsExactly(1, 2, 3));
      assertThat(now.passwordAccounts()).isEqualTo(1);
      assertThat(now.recordedAuthMode()).contains(AuthMode.PASSWORD);
      assertThat(now.listAccounts("*", null, 10)).containsExactly("alice", "bob", "carol");
      assertThat(now.findGroup("team")).contains(team);
      assertThat(now.groupsOf("bob", null, 10)).containsExactly(team);
      assertThat(now.invitesOf("carol")).extracting(i -> i.group() + "/" + i.by())
          .containsExactly("team/alice");
      assertThat(now.inbox("bob", 0, 100)).isEqualTo(bobsInbox);
      assertThat(now.lastSeq("bob")).isEqualTo(bobLast);
      assertThat(now.ackedSeq("bob")).isEqualTo(2);
      assertThat(now.history("d:alice:bob", 0, 100)).isEqualTo(direct);
      assertThat(now.history("g:" + teamId, 0, 100)).isEqualTo(group);

      Appended resend = now.append(direct("alice", "bob", "m4 again", "c-4")).join();
      assertThat(resend.duplicate()).as("client ids carry over").isTrue();
      assertThat(resend.message()).isEqualTo(direct.get(3));
      Appended next = now.append(direct("alice", "bob", "m5", "c-5")).join();
      assertThat(next.deliveries().get(0).seq()).isEqualTo(bobLast + 1);
      assertThat(next.message().id()).isGreaterThan(direct.get(3).id());
      assertThat(now.createAccount("dave", null, T0).id())
          .as("the deleted account's id is not reused")
          .isGreaterThan(4);
    }

    assertThatThrownBy(
            () -> EmbeddedToRedis.migrate(dir, RedisChatStore.builder().url(redis.url())))
        .isInstanceOf(ChatException.class)
        .satisfies(e -> assertThat(((ChatException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
        .hasMessageContaining("already holds a Spartan store");
  }
}
