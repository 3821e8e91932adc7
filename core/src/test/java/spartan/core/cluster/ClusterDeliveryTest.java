package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import spartan.core.ChatException;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.GroupPolicy;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.ChatMetrics;
import spartan.core.store.ChatStore;
import spartan.core.store.ForwardingChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.testing.ClusterNodes;
import spartan.core.testing.EventRecorder;
import spartan.core.testing.RedisProcess;

/**
 * Cross-node delivery where it can go wrong: the login race, several sessions of one user on
 * several nodes, a node that dies without leaving, a lost pub/sub connection, Redis restarted
 * empty or unreachable, malformed notifications. Nodes share one memory store and a real Redis;
 * the periodic check is off (an hour) unless a test is about it, so what is proved is the
 * notification and resync paths.
 */
class ClusterDeliveryTest {
  private static final Duration OFF = Duration.ofHours(1);

  private final MemoryChatStore store = new MemoryChatStore();
  private final ExecutorService delivery = Executors.newCachedThreadPool();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Counting metrics = new Counting();
  private String url;

  @BeforeEach
  void freshRedis() {
    url = ClusterNodes.sharedRedis().url();
    ClusterNodes.flush(url);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    delivery.shutdownNow();
    store.close();
  }

  private LocalChatService.Builder service() {
    return LocalChatService.builder().store(store).deliveryExecutor(delivery);
  }

  private ClusterNodes nodes(int n, UnaryOperator<RedisNodeBus.Builder> tune) {
    ClusterNodes c =
        ClusterNodes.start(
            url,
            n,
            service(),
            b ->
                tune.apply(
                    b.heartbeat(Duration.ofMillis(100))
                        .deadAfter(Duration.ofMillis(500))
                        .checkEvery(OFF)
                        .metrics(metrics)));
    toClose.add(c);
    return c;
  }

  private static EventRecorder subscribe(Session s) {
    EventRecorder r = EventRecorder.unbounded();
    s.events(0).subscribe(r);
    return r.awaitSubscribed();
  }

  private static List<String> texts(List<ChatEvent.MessageReceived> ms) {
    return ms.stream().map(m -> m.message().text()).toList();
  }

  @Test
  void messagesStoredWhileTheRecipientSubscribesOnAnotherNodeArriveOnceInOrder() throws Exception {
    ClusterNodes c = nodes(2, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    Session alice = c.node(0).login("alice", null);
    ExecutorService sender = Executors.newSingleThreadExecutor();
    try {
      for (int round = 0; round < 20; round++) {
        int r = round;
        Session bob = c.node(1).login("bob", null);
        CompletableFuture<Void> burst =
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < 10; i++) {
                    alice.send(Recipient.user("bob"), r + "-" + i);
                  }
                },
                sender);
        EventRecorder events = subscribe(bob); // races the burst
        burst.get(10, TimeUnit.SECONDS);
        List<ChatEvent.MessageReceived> got = events.nextMessages(10);
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          want.add(r + "-" + i);
        }
        assertThat(texts(got)).isEqualTo(want);
        bob.ack(got.get(9).seq());
        alice.send(Recipient.user("bob"), "sentinel");
        assertThat(events.nextMessage().message().text()).isEqualTo("sentinel");
        bob.ack(bob.fetchUndelivered(10).get(0).seq());
        bob.logout();
      }
    } finally {
      sender.shutdownNow();
    }
  }

  /**
   * The login race made deterministic: node 1's store runs a send on node 0 just before, or
   * just after, the subscribing stream's first inbox read. Before: the read finds it. After:
   * only the notification can bring it, and it does, because presence was written before the
   * read. Either way it arrives once.
   */
  @Test
  void aMessageStoredJustBeforeOrJustAfterTheFirstInboxReadArrivesOnce() {
    for (boolean afterTheRead : new boolean[] {false, true}) {
      ClusterNodes.flush(url);
      ClusterNodes c = nodes(1, b -> b);
      c.node(0).createAccount("alice" + afterTheRead, null);
      c.node(0).createAccount("bob" + afterTheRead, null);
      Session alice = c.node(0).login("alice" + afterTheRead, null);
      String bobName = "bob" + afterTheRead;
      AtomicBoolean armed = new AtomicBoolean();
      ChatStore racing =
          new ForwardingChatStore(store) {
            @Override
            public List<Delivery> inbox(String user, long afterSeq, int limit) {
              boolean race = user.equals(bobName) && armed.compareAndSet(true, false);
              if (race && !afterTheRead) {
                alice.send(Recipient.user(bobName), "raced");
              }
              List<Delivery> read = super.inbox(user, afterSeq, limit);
              if (race && afterTheRead) {
                alice.send(Recipient.user(bobName), "raced");
              }
              return read;
            }
          };
      int i = c.add(LocalChatService.builder().store(racing).deliveryExecutor(delivery));
      Session bob = c.node(i).login(bobName, null);
      armed.set(true);
      EventRecorder events = subscribe(bob);
      assertThat(events.nextMessage().message().text()).isEqualTo("raced");
      alice.send(Recipient.user(bobName), "sentinel");
      assertThat(events.nextMessage().message().text()).isEqualTo("sentinel");
    }
  }

  @Test
  void everySessionOfAUserOnEveryNodeReceivesAndAnAckFromAnyCounts() {
    ClusterNodes c = nodes(3, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder onNode0 = subscribe(c.node(0).login("bob", null));
    Session bobOn1 = c.node(1).login("bob", null);
    EventRecorder onNode1 = subscribe(bobOn1);
    Session alice = c.node(2).login("alice", null);
    alice.send(Recipient.user("bob"), "one");
    alice.send(Recipient.user("bob"), "two");
    assertThat(texts(onNode0.nextMessages(2))).containsExactly("one", "two");
    assertThat(texts(onNode1.nextMessages(2))).containsExactly("one", "two");
    bobOn1.ack(2);
    Session bobLater = c.node(2).login("bob", null);
    assertThat(bobLater.fetchUndelivered(10)).isEmpty();
  }

  @Test
  void aUserWhoseNodeDiedIsReachedOnTheirNewNodeAndTheDeadNodeIsSwept() {
    ClusterNodes c = nodes(3, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    subscribe(c.node(1).login("bob", null));
    String dead = c.bus(1).nodeId();
    c.abandon(1); // as kill -9: its presence for bob stays until swept
    EventRecorder bobOn0 = subscribe(c.node(0).login("bob", null));
    Session alice = c.node(2).login("alice", null);
    alice.send(Recipient.user("bob"), "still there?");
    assertThat(bobOn0.nextMessage().message().text()).isEqualTo("still there?");
    try (RedisClient r = RedisClient.create(url)) {
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(r.hgetAll("sp:{u:bob}:nodes")).doesNotContainKey(dead);
                assertThat(r.zscore(RedisNodeBus.NODES, dead)).isNull();
                assertThat(r.exists("sp:node:" + dead + ":users")).isFalse();
              });
    }
    alice.send(Recipient.user("bob"), "after the sweep");
    assertThat(bobOn0.nextMessage().message().text()).isEqualTo("after the sweep");
  }

  @Test
  void aKilledPubSubConnectionLosesNoMessage() throws Exception {
    ClusterNodes c = nodes(2, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(1).login("bob", null));
    Session alice = c.node(0).login("alice", null);
    try (RedisClient r = RedisClient.create(url)) {
      for (int i = 0; i < 60; i++) {
        alice.send(Recipient.user("bob"), "m" + i);
        if (i % 20 == 10) {
          r.sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "pubsub");
        }
      }
    }
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      want.add("m" + i);
    }
    assertThat(texts(bob.nextMessages(60))).isEqualTo(want);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.bus(1).isSubscribed());
    alice.send(Recipient.user("bob"), "after");
    assertThat(bob.nextMessage().message().text()).isEqualTo("after");
  }

  @Test
  void aMissedNotificationIsFoundByThePeriodicCheck() {
    ClusterNodes c = nodes(1, b -> b.checkEvery(Duration.ofMillis(100)));
    // A node that stores without telling anyone, as if its notification were lost.
    LocalChatService silent = service().build();
    toClose.add(silent);
    silent.createAccount("alice", null);
    silent.createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(0).login("bob", null));
    silent.login("alice", null).send(Recipient.user("bob"), "unannounced");
    assertThat(bob.nextMessage().message().text()).isEqualTo("unannounced");
  }

  @Test
  void aFullPublishQueueFallsBackToReReadingAndLosesNothing() {
    ClusterNodes c = nodes(2, b -> b.maxQueued(1));
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(1).login("bob", null));
    Session alice = c.node(0).login("alice", null);
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      alice.sendAsync(Recipient.user("bob"), new MessageBody.Text("m" + i), null);
      want.add("m" + i);
    }
    assertThat(texts(bob.nextMessages(300))).isEqualTo(want);
  }

  @Test
  void liveOnlyEventsReachStreamsOnOtherNodes() {
    ClusterNodes c = nodes(2, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(1).login("bob", null));
    Session alice = c.node(0).login("alice", null);
    alice.requestChat("bob");
    assertThat(bob.next()).isEqualTo(new ChatEvent.ChatRequested("alice"));
    alice.createGroup("team", List.of("bob"), GroupPolicy.PRIVATE);
    assertThat(bob.next()).isEqualTo(new ChatEvent.GroupInvited("team", "alice"));
  }

  @Test
  void deletingAnAccountEndsItsSessionsOnEveryNode() {
    ClusterNodes c = nodes(2, b -> b);
    c.node(0).createAccount("bob", null);
    EventRecorder other = subscribe(c.node(1).login("bob", null));
    c.node(0).login("bob", null).deleteAccount();
    other.awaitComplete();
  }

  @Test
  void aMalformedNotificationIsIgnoredAndLogged() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(RedisNodeBus.class);
    logs.start();
    logger.addAppender(logs);
    try {
      ClusterNodes c = nodes(2, b -> b);
      c.node(0).createAccount("alice", null);
      c.node(0).createAccount("bob", null);
      EventRecorder bob = subscribe(c.node(1).login("bob", null));
      byte[] channel = ("sp:node:" + c.bus(1).nodeId()).getBytes(StandardCharsets.UTF_8);
      try (RedisClient r = RedisClient.create(url)) {
        for (byte[] junk :
            List.of(
                new byte[0],
                "not a batch".getBytes(StandardCharsets.UTF_8),
                new byte[] {1, 0, 1, 'e', (byte) 0xFF, (byte) 0xFF},
                new byte[BusCodec.MAX_PAYLOAD + 1])) {
          r.executeCommand(new CommandArguments(Protocol.Command.SPUBLISH).key(channel).add(junk));
        }
      }
      c.node(0).login("alice", null).send(Recipient.user("bob"), "fine");
      assertThat(bob.nextMessage().message().text()).isEqualTo("fine");
      await().atMost(Duration.ofSeconds(10)).until(() -> metrics.rejected.get() == 4);
      assertThat(logs.list)
          .filteredOn(e -> e.getFormattedMessage().contains("malformed notification"))
          .hasSize(4);
    } finally {
      logger.detachAppender(logs);
    }
  }

  @Test
  void redisRestartedEmptyEndsTheSessionsWithAClearErrorAndServiceResumes() {
    RedisProcess own = RedisProcess.startOnFreePort();
    toClose.add(own);
    url = own.url();
    ClusterNodes c = nodes(2, b -> b);
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(1).login("bob", null));
    String before = c.bus(1).epoch();
    own.restart();
    assertThat(bob.done)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            ChatException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.getMessage()).contains("server data was reset");
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> c.bus(1).isSubscribed());
    assertThat(c.bus(1).epoch()).isNotEqualTo(before);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> c.bus(0).epoch().equals(c.bus(1).epoch()));
    EventRecorder again = subscribe(c.node(1).login("bob", null));
    c.node(0).login("alice", null).send(Recipient.user("bob"), "after the reset");
    assertThat(again.nextMessage().message().text()).isEqualTo("after the reset");
  }

  @Test
  void withRedisUnreachableLiveSessionsStayOpenAndLocalDeliveryWorks() {
    RedisProcess own = RedisProcess.startOnFreePort();
    toClose.add(own);
    url = own.url();
    ClusterNodes c = nodes(2, b -> b.redis(own.url(), Duration.ofMillis(300)));
    c.node(0).createAccount("alice", null);
    c.node(0).createAccount("bob", null);
    EventRecorder bob = subscribe(c.node(0).login("bob", null));
    Session alice = c.node(0).login("alice", null);
    own.kill();
    alice.send(Recipient.user("bob"), "local");
    assertThat(bob.nextMessage().message().text()).isEqualTo("local");
    EventRecorder later = subscribe(c.node(0).login("bob", null));
    alice.send(Recipient.user("bob"), "still local");
    assertThat(later.nextMessage().message().text()).isEqualTo("local");
    assertThat(later.nextMessage().message().text()).isEqualTo("still local");
    assertThat(bob.nextMessage().message().text()).isEqualTo("still local");
    assertThat(bob.done).isNotDone();
  }

  /** Counts the bus's notifications. */
  private static final class Counting implements ChatMetrics {
    final AtomicInteger rejected = new AtomicInteger();
    final AtomicInteger resynced = new AtomicInteger();

    @Override
    public void notificationRejected() {
      rejected.incrementAndGet();
    }

    @Override
    public void nodeResynced() {
      resynced.incrementAndGet();
    }
  }
}
