package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.AccountRecord;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisProcess;

/** Races between nodes sharing one Redis store: what must never reach the wrong account. */
@Timeout(60)
class RedisStoreRaceTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");
  private static RedisProcess server;
  private final List<RedisChatStore> stores = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    server = RedisProcess.startOnFreePort();
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @BeforeEach
  void freshData() {
    try (Jedis j = new Jedis("127.0.0.1", server.port())) {
      j.flushAll();
    }
  }

  @AfterEach
  void closeStores() {
    stores.forEach(RedisChatStore::close);
  }

  /** A store that sweeps only when asked to, taking over fan-outs at once. */
  private RedisChatStore open() {
    RedisChatStore s =
        RedisChatStore.builder().url(server.url()).sweep(Duration.ofHours(1), Duration.ZERO).build();
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
}
