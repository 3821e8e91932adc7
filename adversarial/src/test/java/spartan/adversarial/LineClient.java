package spartan.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A plain {@link Socket} speaking the socket transport's NDJSON, as a script would: no Spartan
 * code. Reads happen only when the test asks, so an attacker can simply never call them.
 */
final class LineClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Where attackers connect from: another loopback address than the honest users' 127.0.0.1. */
  static final String ATTACKER_ADDRESS = "127.0.0.2";

  private final Socket socket;
  private final OutputStream out;
  private BufferedReader in;
  private final List<JsonNode> events = new ArrayList<>();
  /** Replies read while waiting for another: pipelined sends may be answered out of order. */
  private final Map<Long, JsonNode> replies = new HashMap<>();

  private LineClient(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /** Connects from 127.0.0.1 (an honest user). */
  static LineClient connect(int port) throws IOException {
    return connect(port, null, 0);
  }

  /**
   * Connects from {@code localAddress} (null: the default) with a receive buffer of
   * {@code receiveBuffer} bytes (0: the default), set before connecting so the window is small.
   */
  static LineClient connect(int port, String localAddress, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    if (localAddress != null) {
      s.bind(new InetSocketAddress(localAddress, 0));
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return new LineClient(s);
  }

  /** One request line from alternating keys and values. */
  static String line(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    try {
      return JSON.writeValueAsString(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void send(String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** The next line, or null at end of stream; fails after {@code timeout} without one. */
  JsonNode read(Duration timeout) throws IOException {
    if (in == null) {
      in = new BufferedReader(
          new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    String l = in.readLine();
    return l == null ? null : JSON.readTree(l);
  }

  /** The reply to request {@code id}, keeping events seen on the way; fails after the timeout. */
  JsonNode reply(long id, Duration timeout) throws IOException {
    JsonNode early = replies.remove(id);
    if (early != null) {
      return early;
    }
    return readUntil(
        n -> {
          if (n.has("event")) {
            events.add(n);
          } else if (n.path("id").asLong(-1) == id) {
            return true;
          } else if (replies.size() < 10_000) {
            replies.put(n.path("id").asLong(-1), n);
          }
          return false;
        },
        "reply to " + id,
        timeout);
  }

  /** The next {@code message} event whose body is {@code body}; fails after the timeout. */
  JsonNode message(String body, Duration timeout) throws IOException {
    for (JsonNode e : events) {
      if (isMessage(e, body)) {
        events.remove(e);
        return e;
      }
    }
    return readUntil(n -> isMessage(n, body), "message " + body, timeout);
  }

  private static boolean isMessage(JsonNode n, String body) {
    return n.path("event").asText().equals("message") && n.path("body").asText().equals(body);
  }

  /**
   * Reads lines until {@code wanted} takes one (it may keep the others), for at most {@code
   * timeout}; fails naming {@code what} if the connection closes or the time runs out first.
   */
  private JsonNode readUntil(Predicate<JsonNode> wanted, String what, Duration timeout)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < 100_000; i++) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      JsonNode n = read(Duration.ofNanos(left));
      if (n == null) {
        throw new IOException("connection closed before " + what);
      }
      if (wanted.test(n)) {
        return n;
      }
    }
    throw new SocketTimeoutException("no " + what + " within " + timeout);
  }

  Socket socket() {
    return socket;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
