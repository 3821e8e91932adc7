package spartan.transport.socket.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The server's tree-less reading of sends. */
class ServerLinesTest {
  private static final WireJson JSON = WireJson.bounded(64 * 1024);

  private static Object fast(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return ServerLines.read(bytes, bytes.length);
  }

  /** What the tree path makes of the same line. */
  private static Inbound.Request tree(String line) throws Exception {
    ObjectNode n = (ObjectNode) JSON.parse(line.getBytes(StandardCharsets.UTF_8));
    return new Inbound.Request(
        n.get("id"), Op.SEND, null, Inbound.Send.from(new Fields(n)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"hi ✓ \\\"q\\\"\"}",
        "{\"op\":\"send\",\"group\":\"team\",\"body\":\"x\",\"clientMsgId\":\"c1\",\"id\":\"abc\"}",
        "{\"id\":9007199254740993,\"op\":\"send\",\"to\":\"bob\",\"sealed\":\"AQID+g==\"}",
        "{\"id\":-4,\"op\":\"send\",\"to\":\"bob\",\"body\":\"\"}",
      })
  void readsAWellFormedSend_asTheTreePathDoes(String line) throws Exception {
    Inbound.Request fast = (Inbound.Request) fast(line);
    Inbound.Request tree = tree(line);
    assertThat(fast.id()).isEqualTo(tree.id());
    assertThat(fast.op()).isEqualTo(Op.SEND);
    assertThat(fast.send()).isEqualTo(tree.send());
  }

  /** Everything else, errors included, goes to the tree path, which answers it. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":null,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":1.5,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":1e400,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":99999999999999999999,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":{},\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}",
        "{\"id\":1,\"op\":\"login\",\"user\":\"bob\"}",
        "{\"id\":1,\"op\":\"ping\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"group\":\"g\",\"body\":\"x\"}",
        "{\"id\":1,\"op\":\"send\",\"body\":\"x\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\",\"sealed\":\"AQ==\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"sealed\":\"not base64!\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":null}",
        "{\"id\":1,\"op\":\"send\",\"to\":7,\"body\":\"x\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\",\"extra\":true}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\",\"to\":\"eve\"}",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"} 2",
        "{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"",
        "[{\"id\":1,\"op\":\"send\",\"to\":\"bob\",\"body\":\"x\"}]",
      })
  void leavesEverythingElseToTheTreePath(String line) {
    assertThat(fast(line)).isNull();
  }
}
