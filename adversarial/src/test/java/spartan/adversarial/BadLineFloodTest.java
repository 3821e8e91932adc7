package spartan.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (a): unauthenticated socket connections send tiny malformed lines and never read the
 * error replies. Each 2-byte line earns a ~190-byte reply, so an unbounded reply queue turns a
 * few MB sent into hundreds of MB of direct memory.
 */
class BadLineFloodTest {
  private static final int CONNECTIONS = 24;
  private static final int BYTES_PER_CONNECTION = 4 << 20;
  private static final Duration WRITE_WINDOW = Duration.ofSeconds(8);

  @Test
  void unreadErrorRepliesStayBoundedAndOthersAreServed(@TempDir Path dir) throws Exception {
    try (ChildServer server = ChildServer.start(dir, "bad-line-flood", Map.of());
        Honest honest = new Honest(server, "alice", "bob", null)) {
      honest.roundTrip();
      ChildServer.Memory before = server.memory();

      List<SocketChannel> attackers = new ArrayList<>();
      ExecutorService writers = Executors.newFixedThreadPool(CONNECTIONS);
      AtomicLong written = new AtomicLong();
      AtomicLong refusedWrites = new AtomicLong();
      Attack.Tally during = new Attack.Tally();
      ChildServer.Memory under;
      int closed;
      String firstAnswer;
      try {
        for (int i = 0; i < CONNECTIONS; i++) {
          attackers.add(Attack.channel(server.socketPort(), LineClient.ATTACKER_ADDRESS, 4096));
        }
        // All connections blast at once: while the server's event loops decode one connection's
        // batch, the others' bytes pile up, so each later read batch is large.
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (SocketChannel ch : attackers) {
          writes.add(CompletableFuture.runAsync(() -> {
            try {
              go.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            flood(ch, written, refusedWrites);
          }, writers));
        }
        go.countDown();
        // Each writer ends when its bytes are sent or the server closes it; one the server
        // simply stops reading stays blocked, which is also a bounded outcome.
        try {
          CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
              .get(WRITE_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillBlocked) {
          // the server stopped reading them: what matters is what it holds meanwhile
        }
        for (int i = 0; i < 3; i++) {
          during.run(honest);
        }
        under = server.memory();
        firstAnswer = firstAnswer(attackers.get(0));
        // The attacker now reads: it must find error replies or a closed connection, and a
        // connection the server closed must come to its end.
        closed = Attack.awaitClosedByServer(attackers, CONNECTIONS, Duration.ofSeconds(5));
      } finally {
        Attack.closeAll(attackers);
        writers.shutdownNow();
        writers.awaitTermination(10, TimeUnit.SECONDS);
      }
      Attack.Tally after = new Attack.Tally();
      after.run(honest);
      ChildServer.Memory end = server.memory();

      Attack.figures("bad-line flood", "connections", CONNECTIONS,
          "sentMiB", written.get() >> 20, "closedByServer", closed,
          "heapMiB", under.heapMiB(), "directMiB", under.directMiB(),
          "baselineHeapMiB", before.heapMiB(), "baselineDirectMiB", before.directMiB(),
          "endHeapMiB", end.heapMiB(), "endDirectMiB", end.directMiB(),
          "honestDuring", during, "honestAfter", after, "alive", server.alive(),
          "attackerRead", firstAnswer);
      assertThat(firstAnswer).as("what the attacker reads first: an error reply or the end")
          .matches("(?s)closed|\\{\"id\":null,\"ok\":false,\"error\":\\{\"code\":\"[a-z_]+\".*");
      assertThat(during.ok).as("honest round trips during the flood: %s", during).isEqualTo(3);
      Attack.assertWithinBounds(under);
      assertThat(after.ok).as("honest round trip after the flood: %s", after).isEqualTo(1);
      Attack.assertWithinBounds(end);
      assertThat(server.alive()).isTrue();
    }
  }

  /** The first bytes the attacker reads (up to 200), or "closed"; a 5 s bound. */
  private static String firstAnswer(SocketChannel ch) throws IOException {
    ch.socket().setSoTimeout(5000);
    byte[] b = new byte[200];
    try {
      int n = ch.socket().getInputStream().read(b);
      return n < 0 ? "closed" : new String(b, 0, n, StandardCharsets.UTF_8);
    } catch (java.net.SocketTimeoutException e) {
      return "nothing within 5 s";
    } catch (IOException reset) {
      return "closed";
    }
  }

  /** Writes 2-byte bad lines until the budget is sent or the server refuses more. */
  private static void flood(SocketChannel ch, AtomicLong written, AtomicLong refused) {
    byte[] chunk = "x\n".repeat(512 * 1024).getBytes(StandardCharsets.US_ASCII);
    try {
      for (int sent = 0; sent < BYTES_PER_CONNECTION; sent += chunk.length) {
        ByteBuffer b = ByteBuffer.wrap(chunk);
        while (b.hasRemaining()) {
          written.addAndGet(ch.write(b));
        }
      }
    } catch (IOException e) {
      refused.incrementAndGet();
    }
  }
}
