package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.ErrorCode;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportServer;
import spartan.core.store.MemoryChatStore;
import spartan.transport.socket.SocketTransportProvider;

/**
 * Keeps PROTOCOL.md true: runs every {@code nc} example in it, in order, against a real server with
 * the demo accounts, and checks each reply and event against the JSON shown under the example —
 * same lines in the same order, same keys, same values except the ones that cannot be known in
 * advance ({@code token}, {@code ts}).
 */
class ProtocolDocTest {
  private static final Path DOC = Path.of("..", "PROTOCOL.md");
  private static final Pattern PRINTF =
      Pattern.compile("^printf '(.*)' \\| nc -q1 localhost 3001$");
  private static final Pattern ZEROS =
      Pattern.compile("^head -c (\\d+) /dev/zero \\| tr '\\\\0' x \\| nc -q1 localhost 3001$");
  private static final Set<String> UNPREDICTABLE = Set.of("token", "ts");
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Example(String command, List<String> expected) {}

  private ExecutorService executor;
  private MemoryChatStore store;
  private LocalChatService core;
  private TransportServer server;
  private String lastToken = "none";

  @BeforeEach
  void start() throws Exception {
    executor = Executors.newCachedThreadPool();
    store = new MemoryChatStore();
    core = LocalChatService.builder().store(store).deliveryExecutor(executor).build();
    for (String u : List.of("alice", "bob", "charlie", "eve", "foo", "bar", "baz", "qux")) {
      core.createAccount(u, null);
    }
    server =
        new SocketTransportProvider().serve(core, TransportOptions.of("127.0.0.1", 0, executor));
  }

  @AfterEach
  void stop() {
    server.close();
    core.close();
    store.close();
    executor.shutdownNow();
  }

  @Test
  void everyExampleInProtocolMdWorksAsWritten() throws Exception {
    List<Example> examples = examples(Files.readAllLines(DOC));
    assertThat(examples).hasSizeGreaterThan(20);
    for (Example e : examples) {
      run(e);
    }
  }

  @Test
  void everyOpEventAndErrorCodeIsDocumented() throws Exception {
    String doc = Files.readString(DOC);
    List<Example> examples = examples(List.of(doc.split("\n")));
    for (Op op : Op.values()) {
      assertThat(examples)
          .as("a runnable example of op %s", op.wire)
          .anySatisfy(e -> assertThat(e.command()).contains("\"op\":\"" + op.wire + "\""));
    }
    for (String event :
        List.of(
            "message",
            "chat_request",
            "chat_response",
            "stream_end",
            "group_invite",
            "member_joined",
            "member_left",
            "member_removed",
            "role_changed",
            "policy_changed",
            "ping")) {
      assertThat(doc).contains("{\"event\":\"" + event + "\"");
    }
    for (ErrorCode c : ErrorCode.values()) {
      assertThat(doc).contains("| `" + WireCodes.toWire(c) + "` |");
    }
    for (String c :
        List.of(
            WireCodes.BAD_REQUEST,
            WireCodes.UNKNOWN_OP,
            WireCodes.FRAME_TOO_LARGE,
            WireCodes.SLOW_CONSUMER,
            WireCodes.IDLE_TIMEOUT)) {
      assertThat(doc).contains("| `" + c + "` |");
    }
  }

  /** Each ```sh block with one nc command, paired with the ```json block right after it. */
  private static List<Example> examples(List<String> lines) {
    List<Example> out = new ArrayList<>();
    Iterator<String> it = lines.iterator();
    while (it.hasNext()) {
      if (!it.next().equals("```sh")) {
        continue;
      }
      String command = it.next();
      assertThat(it.next()).as("one command per sh block: %s", command).isEqualTo("```");
      assertThat(it.next()).as("a json block after %s", command).isEqualTo("```json");
      List<String> expected = new ArrayList<>();
      for (String l = it.next(); !l.equals("```"); l = it.next()) {
        expected.add(l);
      }
      out.add(new Example(command, expected));
    }
    return out;
  }

  private void run(Example e) throws Exception {
    byte[] input = input(e.command());
    List<JsonNode> actual = new ArrayList<>();
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(input);
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      while (actual.size() < e.expected().size()) {
        String line;
        try {
          line = in.readLine();
        } catch (SocketTimeoutException timeout) {
          line = null;
        }
        if (line == null) {
          fail("%s%nexpected %d lines, got only %s", e.command(), e.expected().size(), actual);
        }
        JsonNode node = JSON.readTree(line);
        actual.add(node);
        if (node.hasNonNull("token")) {
          lastToken = node.get("token").asText();
        }
      }
    }
    for (int i = 0; i < e.expected().size(); i++) {
      JsonNode want = JSON.readTree(e.expected().get(i));
      assertSameShape(
          e.command() + "\nline " + (i + 1) + ": " + actual.get(i), want, actual.get(i));
    }
  }

  private byte[] input(String command) {
    Matcher p = PRINTF.matcher(command);
    if (p.matches()) {
      String text = p.group(1).replace("TOKEN", lastToken).replace("\\n", "\n");
      return printfBytes(text);
    }
    Matcher z = ZEROS.matcher(command);
    if (z.matches()) {
      return "x".repeat(Integer.parseInt(z.group(1))).getBytes(StandardCharsets.US_ASCII);
    }
    throw new AssertionError("not a runnable example: " + command);
  }

  /** {@code text} in UTF-8, with printf's {@code \\xHH} escapes as the raw bytes they stand for. */
  private static byte[] printfBytes(String text) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    Matcher m = Pattern.compile("\\\\x([0-9a-fA-F]{2})").matcher(text);
    int at = 0;
    while (m.find()) {
      out.writeBytes(text.substring(at, m.start()).getBytes(StandardCharsets.UTF_8));
      out.write(Integer.parseInt(m.group(1), 16));
      at = m.end();
    }
    out.writeBytes(text.substring(at).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static void assertSameShape(String where, JsonNode want, JsonNode got) {
    if (want.isObject()) {
      assertThat(got.isObject()).as(where).isTrue();
      List<String> wantKeys = new ArrayList<>();
      want.fieldNames().forEachRemaining(wantKeys::add);
      List<String> gotKeys = new ArrayList<>();
      got.fieldNames().forEachRemaining(gotKeys::add);
      assertThat(gotKeys).as(where).containsExactlyInAnyOrderElementsOf(wantKeys);
      for (String k : wantKeys) {
        if (!UNPREDICTABLE.contains(k)) {
          assertSameShape(where + " ." + k, want.get(k), got.get(k));
        }
      }
    } else if (want.isArray()) {
      assertThat(got.size()).as(where).isEqualTo(want.size());
      for (int i = 0; i < want.size(); i++) {
        assertSameShape(where + " [" + i + "]", want.get(i), got.get(i));
      }
    } else {
      assertThat(got).as(where).isEqualTo(want);
    }
  }
}
