package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Limits;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisPerClass;

/** Races between nodes sharing one Redis store: what must never reach the wrong account. */
@Timeout(60)
class RedisStoreRaceTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();
  private final List<RedisChatStore> stores = new ArrayList<>();

  @AfterEach
  void closeStores() {
    stores.forEach(RedisChatStore::close);
  }

  /** A store that sweeps only when asked to, taking over fan-outs at once. */
  private RedisChatStore open() {
    RedisChatStore s =
        RedisChatStore.builder().url(redis.url()).sweep(Duration.ofHours(1), Duration.ZERO).build();
    stores.add(s);
    return s;
  }

  private static Draft direct(AccountRecord from, AccountRecord to, String text) {
    long a = Math.min(from.id(), to.id());
    long b = Math.max(from.id(), to.id());
    return new Draft(from.user(), Recipient.user(to.user()), MessageBody.text(text), T0, null,
        "d:" + a + ":" + b, List.of(to.user()));
  }

  private static List<String> texts(RedisChatStore s, String user) {
    return s.inbox(user, 0, 100).stream().map(d -> d.message().text()).toList();
  }

  @Test
  void aDirectMessageLeftForADeletedAccountNeverReachesANewAccountOfTheSameName() {
    RedisChatStore dying = open();
    AccountRecord alice = dying.createAccount("alice", null, T0);
    AccountRecord oldBob = dying.createAccount("bob", null, T0);
    dying.stopFanOutAfter(0); // the sending node dies after recording, before the inbox insert
    assertThatThrownBy(dying.append(direct(alice, oldBob, "for the old bob"))::join)
        .hasMessageContaining("internal");

    // another node (the same store here: its sweep at open would otherwise race the deletion)
    RedisChatStore other = dying;
    assertThat(other.deleteAccount("bob")).isTrue();
    AccountRecord newBob = other.createAccount("bob", null, T0);
    other.stopFanOutAfter(-1);
    other.sweep(); // finishes what the dead node left

    assertThat(texts(other, "bob")).as("the new bob is another person").isEmpty();
    assertThat(other.append(direct(alice, newBob, "hello new bob")).join().deliveries())
        .extracting(d -> d.seq())
        .containsExactly(1L);
    assertThat(texts(other, "bob")).containsExactly("hello new bob");
  }

  @Test
  void aGroupMessageLeftForADeletedMemberNeverReachesANewAccountOfTheSameName() {
    RedisChatStore dying = open();
    dying.createAccount("owner", null, T0);
    dying.createAccount("m1", null, T0);
    dying.createAccount("m2", null, T0);
    dying.createGroup("team", "owner", GroupPolicy.PRIVATE, T0);
    dying.addMember("team", "m1", GroupRole.MEMBER, 0);
    dying.addMember("team", "m2", GroupRole.MEMBER, 0);
    long id = dying.findGroup("team").orElseThrow().id();
    dying.stopFanOutAfter(0);
    assertThatThrownBy(
            dying.append(
                    new Draft("owner", Recipient.group("team"), MessageBody.text("team news"), T0,
                        null, "g:" + id, List.of("m1", "m2")))
                ::join)
        .hasMessageContaining("internal");

    RedisChatStore other = dying;
    assertThat(other.deleteAccount("m1")).isTrue();
    other.createAccount("m1", null, T0);
    other.stopFanOutAfter(-1);
    other.sweep();

    assertThat(texts(other, "m1")).as("the new m1 never joined").isEmpty();
    assertThat(texts(other, "m2")).containsExactly("team news");
  }

  @Test
  void aMemberAddedJustBeforeASendGetsIt() {
    RedisChatStore s = open();
    s.createAccount("owner", null, T0);
    s.createAccount("m1", null, T0);
    s.createGroup("team", "owner", GroupPolicy.PRIVATE, T0);
    long id = s.findGroup("team").orElseThrow().id();
    for (int i = 0; i < 20; i++) {
      String name = "late" + i;
      s.createAccount(name, null, T0);
      s.addMember("team", name, GroupRole.MEMBER, 0);
      assertThat(
              s.append(
                      new Draft("owner", Recipient.group("team"), MessageBody.text("hi " + i), T0,
                          null, "g:" + id, List.of(name)))
                  .join()
                  .deliveries())
          .hasSize(1);
      assertThat(texts(s, name)).containsExactly("hi " + i);
    }
  }

  @Test
  void aSendRacingItsGroupsDeletionLeavesNothingForAGroupRecreatedUnderItsName() {
    RedisChatStore s = open();
    s.createAccount("owner", null, T0);
    s.createAccount("m1", null, T0);
    s.createGroup("team", "owner", GroupPolicy.PRIVATE, T0);
    s.addMember("team", "m1", GroupRole.MEMBER, 0);
    long id = s.findGroup("team").orElseThrow().id();
    // the last members leave: the group and its conversation go
    s.removeMember("team", "m1");
    s.removeMember("team", "owner");
    assertThat(s.findGroup("team")).isEmpty();
    // a send that read the group before it went lands now
    assertThatThrownBy(
            s.append(
                    new Draft("m1", Recipient.group("team"), MessageBody.text("late secret"), T0,
                        null, "g:" + id, List.of("owner")))
                ::join)
        .hasMessageContaining("No such group");
    s.createAccount("eve", null, T0);
    s.createGroup("team", "eve", GroupPolicy.PRIVATE, T0);
    long again = s.findGroup("team").orElseThrow().id();
    assertThat(s.history("g:" + again, 0, 10)).as("the new team's history").isEmpty();
    assertThat(s.history("g:" + id, 0, 10)).as("the old team's history").isEmpty();
  }

  /**
   * {@code inviters.size()} invitations of {@code victim}, to one group per inviter, all at once
   * from as many threads (nodes); returns how many calls succeeded.
   */
  private int inviteAtOnce(RedisChatStore s, List<String> inviters, List<String> groups,
      String victim) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(inviters.size());
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<Boolean>> calls = new ArrayList<>();
      for (int i = 0; i < inviters.size(); i++) {
        String by = inviters.get(i);
        String g = groups.get(i);
        calls.add(pool.submit(() -> {
          go.await();
          try {
            return !s.invite(g, List.of(victim), by, T0, 1000).isEmpty();
          } catch (spartan.core.ChatException e) {
            return false;
          }
        }));
      }
      go.countDown();
      int ok = 0;
      for (Future<Boolean> f : calls) {
        ok += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      return ok;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentInvitersCannotPushAUserPastThePendingInvitationBound() throws Exception {
    RedisChatStore s = open();
    s.createAccount("victim", null, T0);
    List<String> inviters = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < Limits.MAX_PENDING_INVITES + 32; i++) {
      String by = "by" + i;
      s.createAccount(by, null, T0);
      s.createGroup("g" + i, by, GroupPolicy.PRIVATE, T0);
      inviters.add(by);
      groups.add("g" + i);
    }
    int filled = Limits.MAX_PENDING_INVITES - 8;
    for (int i = 0; i < filled; i++) {
      s.invite(groups.get(i), List.of("victim"), inviters.get(i), T0, 1000);
    }
    int ok = inviteAtOnce(s, inviters.subList(filled, inviters.size()),
        groups.subList(filled, groups.size()), "victim");
    assertThat(ok).isEqualTo(8);
    assertThat(s.invitesOf("victim")).hasSize(Limits.MAX_PENDING_INVITES);
    try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
      assertThat(j.hlen(RedisKeys.user("victim") + RedisKeys.INVITES_HELD))
          .isEqualTo(Limits.MAX_PENDING_INVITES);
    }
  }

  @Test
  void oneInviterWithManyGroupsCannotExceedItsShareOfAUsersInvitations() throws Exception {
    RedisChatStore s = open();
    s.createAccount("victim", null, T0);
    s.createAccount("pest", null, T0);
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      s.createGroup("p" + i, "pest", GroupPolicy.PRIVATE, T0);
      groups.add("p" + i);
    }
    int ok = inviteAtOnce(s, java.util.Collections.nCopies(groups.size(), "pest"), groups, "victim");
    assertThat(ok).isEqualTo(Limits.MAX_PENDING_INVITES_PER_INVITER);
    assertThat(s.invitesOf("victim")).hasSize(Limits.MAX_PENDING_INVITES_PER_INVITER);
  }

  @Test
  void anInviterCannotExceedItsSentBoundThroughConcurrentCalls() throws Exception {
    RedisChatStore s = open();
    s.createAccount("pest", null, T0);
    for (int g = 0; g < 4; g++) {
      s.createGroup("big" + g, "pest", GroupPolicy.PRIVATE, T0); // room for 9 invitations each
    }
    int max = 10; // the group bound: at most 2 x 10 sent
    List<String> victims = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      s.createAccount("v" + i, null, T0);
      victims.add("v" + i);
    }
    ExecutorService pool = Executors.newFixedThreadPool(30);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String v = victims.get(i);
        String g = "big" + (i % 4);
        calls.add(pool.submit(() -> {
          go.await();
          try {
            s.invite(g, List.of(v), "pest", T0, max);
          } catch (spartan.core.ChatException e) {
            // refused: the bound
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : calls) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
      assertThat(j.zcard(RedisKeys.user("pest") + RedisKeys.INVITES_SENT)).isEqualTo(2L * max);
    }
  }
}
