package spartan.transport.socket.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw line client on loopback, as someone with a ten-line script would write it: the attacks
 * and robustness tests speak the wire protocol through it without the connector's checks.
 */
final class RawLineClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Socket socket;
  final BufferedReader in;
  final OutputStream out;

  /**
   * Connects to {@code port} on 127.0.0.1 from {@code source} (a loopback address, or null for
   * any), with a receive buffer of {@code receiveBuffer} bytes (0 for the system's default).
   */
  RawLineClient(int port, String source, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    if (source != null) {
      socket.bind(new InetSocketAddress(source, 0));
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(20_000);
    in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    out = socket.getOutputStream();
  }

  void send(String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** The next line the server sends; fails if it closes instead. */
  JsonNode read() throws IOException {
    String line = in.readLine();
    assertThat(line).as("a line (the connection closed)").isNotNull();
    return JSON.readTree(line);
  }

  /** The lines the server sends until it closes (at most {@code max}); fails if it does not. */
  List<JsonNode> readUntilClosed(int max) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    try {
      for (String l = in.readLine(); l != null; l = in.readLine()) {
        lines.add(JSON.readTree(l));
        assertThat(lines.size()).as("lines before close").isLessThanOrEqualTo(max);
      }
    } catch (SocketException reset) {
      // closed with unread input: a reset is a close too
    }
    return lines;
  }

  /** True once the server has closed (EOF or reset), with nothing else sent before. */
  boolean closedByServer() {
    try {
      return in.readLine() == null;
    } catch (IOException reset) {
      return true;
    }
  }

  int localPort() {
    return socket.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
