package spartan.transport.socket.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatService;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.spi.ConnectionGate;
import spartan.core.testing.EventRecorder;

/**
 * Attacks on a real loopback server, each at a bounded size: a flood of bad lines from clients that
 * never read, more connections than the caps allow, and connections that go silent. Each case
 * checks that the attacker gets a clear error or a closed connection, that the server holds a
 * bounded amount of output for it, and that an honest client logs in, sends and receives during and
 * after. Nothing sleeps; every wait is bounded.
 */
class SocketHardeningTest {
  private static final Logger log = LoggerFactory.getLogger(SocketHardeningTest.class);

  @RegisterExtension final TappedServer<Traffic> fixture = new TappedServer<>(Traffic::new);
  private final ExecutorService executor = fixture.executor;
  private final LocalChatService core = fixture.core;
  private final List<Traffic> traffic = fixture.taps;

  /** Sees every accepted connection's channel and counts the pings written to it. */
  private static final class Traffic extends ChannelDuplexHandler {
    final AtomicInteger pings = new AtomicInteger();
    volatile Channel channel;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf b
          && b.toString(StandardCharsets.UTF_8).startsWith("{\"event\":\"ping\"")) {
        pings.incrementAndGet();
      }
      ctx.write(msg, promise);
    }

    int remotePort() {
      return ((InetSocketAddress) channel.remoteAddress()).getPort();
    }
  }

  private Traffic serverSideOf(RawLineClient raw) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                traffic.stream()
                    .anyMatch(t -> t.channel != null && t.remotePort() == raw.localPort()));
    return traffic.stream()
        .filter(t -> t.remotePort() == raw.localPort())
        .findFirst()
        .orElseThrow();
  }

  private static long pendingOutput(Channel ch) throws Exception {
    return ch.eventLoop()
        .submit(
            () -> {
              ChannelOutboundBuffer b = ch.unsafe().outboundBuffer();
              return b == null ? 0L : b.totalPendingWriteBytes();
            })
        .get(10, TimeUnit.SECONDS);
  }

  private static long usedDirectMemory() {
    return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
  }

  /** Alice and bob logged in over one connector, bob's event stream subscribed. */
  private record Honest(Session alice, EventRecorder bobEvents) {
    static Honest over(ChatService chat) {
      Session alice = chat.login("alice", null);
      Session bob = chat.login("bob", null);
      EventRecorder bobEvents = EventRecorder.unbounded();
      bob.events(0).subscribe(bobEvents);
      bobEvents.awaitSubscribed();
      return new Honest(alice, bobEvents);
    }

    /** Alice sends to bob, and bob's stream receives it. */
    void roundTrip(String text) {
      roundTrip(alice, text);
    }

    /** {@code from} sends to bob, and bob's stream receives it. */
    void roundTrip(Session from, String text) {
      from.send(Recipient.user("bob"), text);
      assertThat(((spartan.core.MessageBody.Text) bobEvents.nextMessage().message().body()).text())
          .isEqualTo(text);
    }
  }

  // ---- finding 1: bad-line flood from clients that never read -----------------------------------

  @Test
  void aFloodOfBadLinesFromClientsThatNeverReadHoldsBoundedOutput_andOthersCarryOn()
      throws Exception {
    // A short keep-alive, so the attackers the server stopped reading are closed within the test.
    Duration keepAlive = Duration.ofSeconds(1);
    fixture.serve(core, fixture.options().withKeepAlive(keepAlive));
    int attackers = 8;
    // 2 MiB each: bad lines only, or bad lines between pings, so no run of bad lines is long
    int floodBytes = 2 << 20;
    long directBefore = usedDirectMemory();
    List<RawLineClient> raws = new ArrayList<>();
    List<CompletableFuture<Long>> writers = new ArrayList<>();
    try (ChatService chat = fixture.connector()) {
      Honest pair = Honest.over(chat);
      pair.roundTrip("before");

      for (int i = 0; i < attackers; i++) {
        String pattern = i % 2 == 0 ? "x\n" : "x\n{\"op\":\"ping\"}\n";
        RawLineClient raw = fixture.raw("127.0.0.1", 4096);
        raws.add(raw);
        writers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  byte[] chunk = floodChunk(pattern);
                  long written = 0;
                  try {
                    while (written < floodBytes) {
                      raw.out.write(chunk);
                      written += chunk.length;
                    }
                  } catch (IOException closedByServer) {
                    // the point, or the test closing the socket at the end
                  }
                  return written;
                },
                executor));
      }
      pair.roundTrip("during");

      List<Channel> attacked = new ArrayList<>();
      for (RawLineClient raw : raws) {
        attacked.add(serverSideOf(raw).channel);
      }
      // Settled: each attacker is closed, or the server has stopped reading it while its
      // replies wait for it to read.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> attacked.stream().allMatch(ch -> !ch.isOpen() || !ch.config().isAutoRead()));
      long pendingTotal = 0;
      long pendingMax = 0;
      int closed = 0;
      for (Channel ch : attacked) {
        long p = ch.isOpen() ? pendingOutput(ch) : 0;
        pendingTotal += p;
        pendingMax = Math.max(pendingMax, p);
        closed += ch.isOpen() ? 0 : 1;
      }
      long direct = usedDirectMemory() - directBefore;
      log.info(
          "bad-line flood: {} attackers, {} closed by the server; server holds {} bytes of their"
              + " replies (at most {} for one); allocator direct memory grew by {} bytes",
          attackers,
          closed,
          pendingTotal,
          pendingMax,
          direct);
      assertThat(pendingMax)
          .as("replies one non-reading connection holds on the server")
          .isLessThanOrEqualTo(SocketServer.WATER_MARK.high() + 16 * 1024L);

      pair.roundTrip("after");
      Session again = chat.login("alice", null); // new logins work too
      pair.roundTrip(again, "after, again");

      // An attacker the server stopped reading sends nothing it can read and reads nothing: it is
      // closed once two keep-alive periods pass (if the held-output limit did not close it first).
      await()
          .atMost(keepAlive.multipliedBy(2).plusSeconds(30))
          .until(() -> attacked.stream().noneMatch(Channel::isOpen));
      pair.roundTrip("after the attackers were closed");
    } finally {
      for (RawLineClient raw : raws) {
        raw.close();
      }
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }
  }

  /** 64 KiB or so of {@code pattern}, repeated. */
  private static byte[] floodChunk(String pattern) {
    return pattern.repeat(64 * 1024 / pattern.length()).getBytes(StandardCharsets.US_ASCII);
  }

  // ---- finding 2: connection caps ---------------------------------------------------------------

  @Test
  void connectionsOverEitherCapAreRefusedAtAccept_andEveryCloseIsReleasedOnce() throws Exception {
    ConnectionGate gate = new ConnectionGate(6, 3);
    // A closed connector's streaming connection lingers one line timeout (PROTOCOL.md); keep it
    // short.
    fixture.serve(
        core,
        fixture.options()
            .withConnections(gate)
            .withExtra(ServerSettings.LINE_TIMEOUT_MS, "1000"));
    List<RawLineClient> admitted = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        RawLineClient r = fixture.raw("127.0.0.2", 0);
        admitted.add(r);
        r.send("{\"id\":1,\"op\":\"ping\"}");
        assertThat(r.read().get("ok").asBoolean()).isTrue();
      }
      try (RawLineClient extra = fixture.raw("127.0.0.2", 0)) {
        try {
          extra.send("{\"id\":1,\"op\":\"ping\"}");
        } catch (IOException refused) {
          // closed before the line could be sent: refused too
        }
        assertThat(extra.readUntilClosed(0)).as("refused without a reply").isEmpty();
      }
      assertThat(gate.refusedAddressFull()).isEqualTo(1);

      // The honest client, from another address, is not held back by that address's cap.
      try (ChatService chat = fixture.connector()) {
        Honest pair = Honest.over(chat);
        pair.roundTrip("past the per-address cap");

        // 3 + 2 open; one more fills the server, and the next, from a fresh address, is refused.
        RawLineClient sixth = fixture.raw("127.0.0.3", 0);
        admitted.add(sixth);
        sixth.send("{\"id\":1,\"op\":\"ping\"}");
        assertThat(sixth.read().get("ok").asBoolean()).isTrue();
        try (RawLineClient seventh = fixture.raw("127.0.0.4", 0)) {
          assertThat(seventh.readUntilClosed(0)).isEmpty();
        }
        assertThat(gate.refusedServerFull()).isEqualTo(1);

        for (RawLineClient r : admitted) {
          r.close();
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(gate.open()).isEqualTo(2));
        pair.roundTrip("after the attackers left");
      }
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(gate.open()).isZero());
      assertThat(gate.open()).as("released exactly once each").isZero();
    } finally {
      for (RawLineClient r : admitted) {
        r.close();
      }
    }
  }

  // ---- finding 5: keep-alive --------------------------------------------------------------------

  @Test
  void aSilentConnectionIsPingedThenClosedWithinTwoPeriods_andTheConnectorAnswersPings()
      throws Exception {
    Duration keepAlive = Duration.ofMillis(400);
    fixture.serve(core, fixture.options().withKeepAlive(keepAlive));
    try (ChatService chat = fixture.connector()) {
      Honest pair = Honest.over(chat);

      try (RawLineClient silent = fixture.raw("127.0.0.1", 0)) {
        long start = System.nanoTime(); // the server reads its last line after this
        silent.send("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
        assertThat(silent.read().get("ok").asBoolean()).isTrue();
        JsonNode ping = silent.read();
        assertThat(ping.path("event").asText()).isEqualTo("ping");
        assertThat(ping.has("id")).isFalse();
        List<JsonNode> last = silent.readUntilClosed(2);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        log.info(
            "silent connection closed {} ms after its last line; keepAlive {}", waited, keepAlive);
        assertThat(waited)
            .isBetween(2 * keepAlive.toMillis(), 2 * keepAlive.toMillis() + 3000);
        assertThat(last)
            .allSatisfy(
                l -> assertThat(l.path("error").path("code").asText()).isEqualTo("idle_timeout"));

        // The connector's connections were pinged several times, answered, and are still open.
        List<Traffic> honest =
            traffic.stream().filter(t -> t.remotePort() != silent.localPort()).toList();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    honest.stream()
                        .filter(t -> t.channel.isOpen())
                        .allMatch(t -> t.pings.get() >= 3));
        Traffic bobSide = honest.stream().filter(t -> t.channel.isOpen()).findFirst().orElseThrow();
        assertThat(bobSide.channel.isOpen()).isTrue();
        pair.roundTrip("still here");
      }
    }
  }
}
