package spartan.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * What the attacks share: the stated memory bounds, the honest users' tally, raw attacker
 * channels, and bulk filling of a conversation with large sealed envelopes.
 */
final class Attack {
  /**
   * Heap the server may hold (in use after a full GC) while under any attack: half its
   * {@code -Xmx96m}. An idle server with a few sessions holds about 12 MiB.
   */
  static final long HEAP_BOUND_MIB = 48;
  /**
   * Direct memory the server may hold while under any attack: two thirds of its
   * {@code -XX:MaxDirectMemorySize=48m}. An idle server after a few round trips holds ~10 MiB.
   */
  static final long DIRECT_BOUND_MIB = 32;
  /** The largest sealed envelope the default limits accept (limits.maxEnvelopeBytes). */
  static final int ENVELOPE_BYTES = 40960;
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

  private Attack() {}

  /** Honest round trips attempted and failed, with the first failure for the report. */
  static final class Tally {
    int attempts;
    int ok;
    final List<String> failures = new ArrayList<>();

    void run(Honest honest) {
      attempts++;
      try {
        honest.roundTrip();
        ok++;
      } catch (Exception | AssertionError e) {
        failures.add(e.toString());
      }
    }

    @Override
    public String toString() {
      return ok + "/" + attempts + (failures.isEmpty() ? "" : " first failure: " + failures.get(0));
    }
  }

  /**
   * A blocking channel from {@code localAddress} to {@code port} with a small receive window
   * ({@code receiveBuffer} bytes, set before connecting), as a client that never reads opens it.
   */
  static SocketChannel channel(int port, String localAddress, int receiveBuffer)
      throws IOException {
    SocketChannel ch = SocketChannel.open();
    ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
    ch.bind(new InetSocketAddress(localAddress, 0));
    ch.connect(new InetSocketAddress("127.0.0.1", port));
    return ch;
  }

  /**
   * Reads and discards what the server sends on {@code channels} until {@code want} of them
   * have been closed by the server (end of stream or reset) or {@code within} has passed.
   * Returns how many were closed. The channels are left non-blocking.
   */
  static int awaitClosedByServer(List<SocketChannel> channels, int want, Duration within)
      throws IOException {
    int closed = 0;
    ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
    try (Selector selector = Selector.open()) {
      for (SocketChannel ch : channels) {
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_READ);
      }
      long deadline = System.nanoTime() + within.toNanos();
      for (int round = 0; round < 1_000_000 && closed < want; round++) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        selector.select(left);
        for (SelectionKey key : selector.selectedKeys()) {
          SocketChannel ch = (SocketChannel) key.channel();
          int n;
          try {
            sink.clear();
            n = ch.read(sink);
          } catch (IOException reset) {
            n = -1;
          }
          if (n < 0) {
            key.cancel();
            closed++;
          }
        }
        selector.selectedKeys().clear();
      }
    }
    return closed;
  }

  /** The stated bounds: heap and direct memory the server holds under attack. */
  static void assertWithinBounds(ChildServer.Memory m) {
    org.assertj.core.api.Assertions.assertThat(m.heapMiB()).as("heap held (MiB): %s", m.line())
        .isLessThanOrEqualTo(HEAP_BOUND_MIB);
    org.assertj.core.api.Assertions.assertThat(m.directMiB())
        .as("direct memory held (MiB): %s", m.line())
        .isLessThanOrEqualTo(DIRECT_BOUND_MIB);
  }

  static void closeAll(List<? extends AutoCloseable> all) {
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
  }

  /** A base64 sealed envelope of the largest accepted size; the server never looks inside. */
  static String envelope(Random random) {
    byte[] b = new byte[ENVELOPE_BYTES];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /**
   * {@code from} sends {@code count} largest sealed envelopes to {@code to} over the socket
   * transport, pipelined, and every send must be stored: the honest sender is not under attack.
   */
  static void sendSealed(ChildServer server, String from, String to, int count)
      throws IOException {
    Random random = new Random(count);
    try (LineClient c = LineClient.connect(server.socketPort())) {
      c.send(LineClient.line("id", 0, "op", "login", "user", from, "subscribe", false));
      expectOk(c.reply(0, Honest.STEP), "login of " + from);
      String sealed = envelope(random);
      // Pipelined in windows so neither side's socket buffers decide the pace.
      for (int sent = 0; sent < count; ) {
        int window = Math.min(32, count - sent);
        for (int i = 1; i <= window; i++) {
          c.send(LineClient.line("id", sent + i, "op", "send", "to", to, "sealed", sealed));
        }
        for (int i = 1; i <= window; i++) {
          expectOk(c.reply(sent + i, SEND_TIMEOUT), "sealed send " + (sent + i));
        }
        sent += window;
      }
    }
  }

  static void expectOk(JsonNode reply, String what) {
    if (!reply.path("ok").asBoolean()) {
      throw new AssertionError(what + " failed: " + reply);
    }
  }

  /** One line for the report: the figures an attack produced, whatever its assertions say. */
  static void figures(String attack, Object... keyValues) {
    StringBuilder sb = new StringBuilder("FIGURES ").append(attack).append(':');
    for (int i = 0; i < keyValues.length; i += 2) {
      sb.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
    }
    System.out.println(sb);
  }
}
