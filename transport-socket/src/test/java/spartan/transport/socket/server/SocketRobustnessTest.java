package spartan.transport.socket.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatService;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.testing.EventRecorder;

/**
 * The robustness promises, each on a real loopback socket with a raw client: oversize lines, the
 * login deadline, slowloris, a reader that stops reading, and no core call on an event loop.
 * Deadlines are short here (hundreds of ms) so the suite stays fast; nothing sleeps.
 */
class SocketRobustnessTest {
  private static final Logger log = LoggerFactory.getLogger(SocketRobustnessTest.class);

  @RegisterExtension final TappedServer<Traffic> fixture = new TappedServer<>(Traffic::new);
  private final ExecutorService executor = fixture.executor;
  private final LocalChatService core = fixture.core;

  /** Bytes the server read and lines it wrote, per accepted connection, in accept order. */
  private final List<Traffic> traffic = fixture.taps;

  private static final class Traffic extends ChannelDuplexHandler {
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicLong linesWritten = new AtomicLong();
    volatile Channel channel;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b) {
        bytesRead.addAndGet(b.readableBytes());
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      linesWritten.incrementAndGet();
      ctx.write(msg, promise);
    }
  }

  // ---- oversize lines ---------------------------------------------------------------------------

  @Test
  void aTenMegabyteLineWithoutNewlineIsCutOffAfterTheLimitNotBuffered() throws Exception {
    fixture.serve(core, fixture.options());
    int limit = fixture.options().maxFrameBytes();
    try (RawLineClient raw = fixture.raw(null, 0)) {
      AtomicLong written = new AtomicLong();
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) 'x');
                try {
                  for (int i = 0; i < 160; i++) { // 10 MiB, never a newline
                    raw.out.write(chunk);
                    written.addAndGet(chunk.length);
                  }
                } catch (IOException expected) {
                  // the server closed on us: that is the point
                }
              },
              executor);
      JsonNode reply = raw.read();
      assertThat(reply.path("error").path("code").asText()).isEqualTo("frame_too_large");
      assertThat(raw.closedByServer()).isTrue();
      writer.get(20, TimeUnit.SECONDS);
      Traffic t = traffic.get(0);
      t.channel.closeFuture().await(5, TimeUnit.SECONDS);
      long read = t.bytesRead.get();
      log.info(
          "oversize line: client wrote {} bytes before the server closed; server read {} bytes",
          written.get(),
          read);
      assertThat(t.channel.isOpen()).isFalse();
      assertThat(read)
          .as("the server stops reading one read buffer after the limit")
          .isGreaterThan(limit)
          .isLessThanOrEqualTo(limit + 128 * 1024);
    }
  }

  // ---- login deadline ---------------------------------------------------------------------------

  @Test
  void aConnectionThatDoesNotLogInIsClosedAndWellBehavedOnesAreNot() throws Exception {
    fixture.serve(core, fixture.options().withLoginTimeout(Duration.ofMillis(400)));
    try (RawLineClient good = fixture.raw(null, 0)) {
      good.send("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
      assertThat(good.read().get("ok").asBoolean()).isTrue();
      long start = System.nanoTime();
      try (RawLineClient silent = fixture.raw(null, 0)) {
        JsonNode err = silent.read();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(err.path("error").path("code").asText()).isEqualTo("unauthenticated");
        assertThat(err.get("id").isNull()).isTrue();
        assertThat(silent.closedByServer()).isTrue();
        assertThat(waited).isGreaterThanOrEqualTo(350);
      }
      // The good connection was opened before the silent one, so its deadline passed too.
      good.send("{\"id\":2,\"op\":\"ping\"}");
      assertThat(good.read().get("ok").asBoolean()).isTrue();
    }
  }

  // ---- slowloris --------------------------------------------------------------------------------

  @Test
  void aClientTricklingAPartialLineIsClosedAndOthersAreUnaffected() throws Exception {
    fixture.serve(core, fixture.options().withExtra(ServerSettings.LINE_TIMEOUT_MS, "500"));
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    try (RawLineClient slow = fixture.raw(null, 0);
        RawLineClient good = fixture.raw(null, 0)) {
      slow.send("{\"id\":1,\"op\":\"login\",\"user\":\"alice\",\"subscribe\":false}");
      assertThat(slow.read().get("ok").asBoolean()).isTrue();
      good.send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\",\"subscribe\":false}");
      assertThat(good.read().get("ok").asBoolean()).isTrue();

      byte[] partial =
          "{\"id\":2,\"op\":\"ping\"                                      "
              .getBytes(StandardCharsets.UTF_8);
      AtomicInteger ticks = new AtomicInteger();
      AtomicInteger goodPings = new AtomicInteger();
      long start = System.nanoTime();
      ticker.scheduleAtFixedRate(
          () -> {
            int i = ticks.getAndIncrement();
            try {
              good.send("{\"id\":" + (100 + i) + ",\"op\":\"ping\"}"); // whole lines meanwhile
              goodPings.incrementAndGet();
              slow.out.write(partial[i % partial.length]); // a byte every 40 ms, never a newline
              slow.out.flush();
            } catch (IOException closed) {
              throw new UncheckedIOException(closed); // stops the ticker
            }
          },
          0,
          40,
          TimeUnit.MILLISECONDS);
      JsonNode err = slow.read();
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(err.path("error").path("code").asText()).isEqualTo("bad_request");
      assertThat(err.path("error").path("message").asText()).contains("not completed");
      assertThat(slow.closedByServer()).isTrue();
      assertThat(waited).isBetween(450L, 5_000L);
      ticker.shutdownNow();
      assertThat(ticker.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      good.send("{\"id\":3,\"op\":\"ping\"}");
      int answered = 0;
      for (JsonNode r = good.read(); r.get("id").asInt() != 3; r = good.read()) {
        assertThat(r.get("ok").asBoolean()).isTrue();
        answered++;
      }
      assertThat(answered).isEqualTo(goodPings.get()).isGreaterThan(5);
    } finally {
      ticker.shutdownNow();
    }
  }

  // ---- backpressure -----------------------------------------------------------------------------

  @Test
  void aReaderThatStopsReadingCostsBoundedMemoryAndLaterGetsEverythingInOrder() throws Exception {
    fixture.serve(core, fixture.options());
    int n = 10_000;
    String pad = "p".repeat(2000); // 10,000 × 2 KB: far more than the kernel's socket buffers
    try (RawLineClient bob = fixture.raw(null, 16 * 1024);
        ChatService connector = fixture.connector()) {
      bob.send("{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}");
      assertThat(bob.read().get("ok").asBoolean()).isTrue();
      // From here bob reads nothing until every message is stored.
      Session alice = connector.login("alice", null);
      List<CompletableFuture<SendReceipt>> sends = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        sends.add(alice.sendAsync(Recipient.user("bob"), MessageBody.text(i + " " + pad), null));
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

      Traffic bobSide = traffic.get(0);
      Channel ch = bobSide.channel;
      long pending =
          ch.eventLoop().submit(() -> ch.unsafe().outboundBuffer().totalPendingWriteBytes()).get();
      long pushed = bobSide.linesWritten.get() - 1;
      log.info(
          "stalled reader: server pushed {} of {} messages, {} bytes waiting in its buffer",
          pushed,
          n,
          pending);
      assertThat(pushed).as("the server stopped pushing").isLessThan(n / 2);
      assertThat(pending)
          .as("unwritten bytes stay near the high water mark")
          .isLessThanOrEqualTo(
              SocketServer.WATER_MARK.high() + (long) SocketServerEventPump.WINDOW * (pad.length() + 200));

      for (int i = 0; i < n; i++) {
        JsonNode e = bob.read();
        assertThat(e.get("event").asText()).isEqualTo("message");
        assertThat(e.get("seq").asLong()).isEqualTo(i + 1);
        assertThat(e.get("body").asText()).startsWith(i + " ");
      }
      bob.send("{\"id\":2,\"op\":\"ack\",\"upTo\":" + n + "}");
      assertThat(bob.read().get("ok").asBoolean()).isTrue();
      alice.logout();
    }
  }

  // ---- shutdown --------------------------------------------------------------------------------

  @Test
  void closeLetsARequestInProgressFinishThenClosesConnections() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ChatService slow =
        (ChatService)
            Proxy.newProxyInstance(
                ChatService.class.getClassLoader(),
                new Class<?>[] {ChatService.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("forClient")) {
                    return proxy; // the connection's view is this slow service too
                  }
                  if (method.getName().equals("createAccount")) {
                    entered.countDown();
                    release.await(10, TimeUnit.SECONDS);
                  }
                  try {
                    return method.invoke(core, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    SocketServer server = fixture.serve(slow, fixture.options());
    int port = server.port();
    try (RawLineClient raw = fixture.raw(null, 0)) {
      raw.send("{\"id\":1,\"op\":\"create_account\",\"user\":\"carol\"}");
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close, executor);
      release.countDown();
      assertThat(raw.read().get("ok").asBoolean())
          .as("the request in progress is answered")
          .isTrue();
      assertThat(raw.closedByServer()).isTrue();
      closing.get(10, TimeUnit.SECONDS);
    }
    server = null;
    try (Socket s = new Socket()) {
      assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 2_000))
          .isInstanceOf(IOException.class);
    }
    assertThat(fixture.store.findAccount("carol")).isPresent();
  }

  // ---- blocking work ----------------------------------------------------------------------------

  @Test
  void noCallIntoTheCoreRunsOnANettyEventLoop() throws Exception {
    List<String> onEventLoop = new CopyOnWriteArrayList<>();
    fixture.serve(guard(core, ChatService.class, onEventLoop), fixture.options());
    try (ChatService chat = fixture.connector()) {
      chat.authMode();
      chat.createAccount("carol", null);
      Session alice = chat.login("alice", null);
      Session bob = chat.login("bob", null);
      EventRecorder events = EventRecorder.unbounded();
      bob.events(0).subscribe(events);
      events.awaitSubscribed();
      alice.send(Recipient.user("bob"), "hi");
      long seq = events.nextMessage().seq();
      bob.ack(seq);
      bob.fetchUndelivered(10);
      bob.history(Recipient.user("alice"), 0, 10);
      alice.createGroup("team", List.of("bob"));
      bob.invitations();
      bob.joinGroup("team");
      bob.groupInfo("team");
      alice.setRole("team", "bob", spartan.core.GroupRole.ADMIN);
      alice.invite("team", List.of("carol"));
      chat.login("carol", null).declineInvite("team");
      alice.setGroupPolicy("team", spartan.core.GroupPolicy.PUBLIC);
      alice.removeMember("team", "bob");
      bob.joinGroup("team");
      bob.leaveGroup("team");
      bob.listGroups(null, 10);
      bob.listAccounts("*", null, 10);
      alice.requestChat("bob");
      events.next();
      bob.respondChat("alice", true);
      Session again = chat.resume(bob.token());
      assertThat(again.user()).isEqualTo("bob");
      alice.logout();
      chat.login("carol", null).deleteAccount();
    }
    assertThat(onEventLoop).isEmpty();
  }

  /** Wraps {@code target} so every call records whether it ran on a Netty thread. */
  @SuppressWarnings("unchecked")
  private static <T> T guard(T target, Class<T> type, List<String> onEventLoop) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (Thread.currentThread() instanceof FastThreadLocalThread) {
            onEventLoop.add(type.getSimpleName() + "." + method.getName());
          }
          try {
            Object result = method.invoke(target, args);
            if (result instanceof Session s) {
              return guard(s, Session.class, onEventLoop);
            }
            if (result instanceof ChatService c && method.getName().equals("forClient")) {
              return guard(c, ChatService.class, onEventLoop);
            }
            return result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
  }
}
