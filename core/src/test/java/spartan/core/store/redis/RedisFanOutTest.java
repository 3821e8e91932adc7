package spartan.core.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import spartan.core.Delivery;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;
import spartan.core.testing.RedisPerClass;

/**
 * A group send survives the death of the node fanning it out: the pending record is finished by
 * a new store's sweep, by the next send in the conversation, or by a resend, and every member
 * gets the message exactly once. Two nodes sending to one group at once keep one order.
 */
@Timeout(60)
class RedisFanOutTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:15:30Z");
  @RegisterExtension static final RedisPerClass redis = new RedisPerClass();
  private final List<RedisChatStore> stores = new ArrayList<>();
  private static final List<String> MEMBERS = List.of("m1", "m2", "m3", "m4", "m5");

  @AfterEach
  void closeStores() {
    stores.forEach(RedisChatStore::close);
  }

  /** A store that sweeps only when asked to (at open), taking over fan-outs at once. */
  private RedisChatStore open() {
    RedisChatStore s =
        RedisChatStore.builder()
            .url(redis.url())
            .sweep(Duration.ofHours(1), Duration.ZERO)
            .build();
    stores.add(s);
    return s;
  }

  private static Draft toTeam(String text, String clientMsgId) {
    return new Draft(
        "owner", Recipient.group("team"), MessageBody.text(text), T0, clientMsgId, "g:1", MEMBERS);
  }

  private void team(RedisChatStore s) {
    s.createAccount("owner", null, T0);
    s.createGroup("team", "owner", GroupPolicy.PRIVATE, T0);
    for (String m : MEMBERS) {
      s.createAccount(m, null, T0);
      s.addMember("team", m, GroupRole.MEMBER, 0);
    }
  }

  private static List<String> texts(RedisChatStore s, String user) {
    return s.inbox(user, 0, 1000).stream().map(d -> d.message().text()).toList();
  }

  @Test
  void aFanOutCutShortIsFinishedByANewStoreAndEachMemberGetsTheMessageOnce() {
    RedisChatStore dying = open();
    team(dying);
    dying.stopFanOutAfter(2);
    CompletableFuture<Appended> cut = dying.append(toTeam("hello", "c-1"));
    assertThatThrownBy(cut::join).hasMessageContaining("internal error");
    assertThat(texts(dying, "m1")).containsExactly("hello");
    assertThat(texts(dying, "m2")).containsExactly("hello");
    assertThat(texts(dying, "m3")).as("not reached before the node died").isEmpty();
    dying.close();

    RedisChatStore next = open(); // its sweep at open takes the fan-out over
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (String m : MEMBERS) {
                assertThat(texts(next, m)).as(m).containsExactly("hello");
              }
            });
    assertThat(next.history("g:1", 0, 10)).extracting(Message::text).containsExactly("hello");
    assertThat(next.sweep()).as("nothing is left to finish").isZero();
  }

  @Test
  void aResendWithTheSameClientIdFinishesTheFanOut() {
    RedisChatStore s = open();
    team(s);
    s.stopFanOutAfter(1);
    assertThatThrownBy(() -> s.append(toTeam("hello", "c-1")).join())
        .hasMessageContaining("internal error");
    s.stopFanOutAfter(-1);
    Appended again = s.append(toTeam("hello", "c-1")).join();
    assertThat(again.duplicate()).isTrue();
    for (String m : MEMBERS) {
      assertThat(texts(s, m)).as(m).containsExactly("hello");
    }
  }

  @Test
  void theNextSendFinishesAnEarlierFanOutFirstSoOrderHolds() {
    RedisChatStore s = open();
    team(s);
    s.stopFanOutAfter(3);
    assertThatThrownBy(() -> s.append(toTeam("first", null)).join())
        .hasMessageContaining("internal error");
    s.stopFanOutAfter(-1);
    Appended second = s.append(toTeam("second", null)).join();
    assertThat(second.recipients()).containsExactlyElementsOf(MEMBERS);
    for (String m : MEMBERS) {
      assertThat(texts(s, m)).as(m).containsExactly("first", "second");
    }
    assertThat(second.deliveries()).extracting(Delivery::seq).containsOnly(2L);
  }

  @Test
  void aSendFinishesTheEarlierFanOutsOfItsRecipientsAndOfThoseThatShareThem() {
    RedisChatStore s = open();
    team(s);
    s.stopFanOutAfter(0);
    assertThatThrownBy(() -> s.append(toSome("to m1", "m1")).join()).hasMessageContaining("internal");
    assertThatThrownBy(() -> s.append(toSome("to m1 and m2", "m1", "m2")).join())
        .hasMessageContaining("internal");
    assertThatThrownBy(() -> s.append(toSome("to m3", "m3")).join()).hasMessageContaining("internal");
    s.stopFanOutAfter(-1);
    s.append(toSome("to m2", "m2")).join();
    // m2's send needs "to m1 and m2" first, which needs "to m1" first in m1's inbox
    assertThat(texts(s, "m1")).containsExactly("to m1", "to m1 and m2");
    assertThat(texts(s, "m2")).containsExactly("to m1 and m2", "to m2");
    assertThat(texts(s, "m3")).as("shares no recipient: left to its sender or the sweep").isEmpty();
    assertThat(s.sweep()).isEqualTo(1);
    assertThat(texts(s, "m3")).containsExactly("to m3");
    assertThat(texts(s, "m1")).as("nothing twice").hasSize(2);
  }

  private static Draft toSome(String text, String... recipients) {
    return new Draft(
        "owner", Recipient.group("team"), MessageBody.text(text), T0, null, "g:1",
        List.of(recipients));
  }

  @Test
  void twoNodesSendingToOneGroupKeepOneOrderAndEveryMemberGetsEachMessageOnce() {
    RedisChatStore a = open();
    RedisChatStore b = open();
    team(a);
    int each = 150;
    List<CompletableFuture<Appended>> sent = new ArrayList<>();
    for (int i = 0; i < each; i++) {
      sent.add(a.append(toTeam("a" + i, null)));
      sent.add(b.append(toTeam("b" + i, null)));
    }
    sent.forEach(CompletableFuture::join);
    List<Message> history = a.history("g:1", 0, 1000);
    assertThat(history).hasSize(2 * each);
    assertThat(history).extracting(Message::id).isSorted().doesNotHaveDuplicates();
    List<String> order = history.stream().map(Message::text).toList();
    for (String m : MEMBERS) {
      assertThat(texts(b, m)).as("%s reads the group in its one order", m).isEqualTo(order);
    }
    // one node's own sends stay in its order
    assertThat(order.stream().filter(t -> t.startsWith("a")).toList())
        .containsExactlyElementsOf(IntStream.range(0, each).mapToObj(i -> "a" + i).toList());
  }
}
