package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClientArgsTest {

  @Test
  void defaultsAreGrpcOnLocalhostAtTheTransportsPort() throws Exception {
    assertThat(ClientArgs.parse(List.of())).isEqualTo(new ClientArgs("grpc", "localhost", null, null));
    assertThat(ClientArgs.parse(List.of("alice")).user()).isEqualTo("alice");
  }

  @Test
  void readsEveryOptionInEitherForm() throws Exception {
    assertThat(ClientArgs.parse(List.of("--transport", "socket", "--host", "h", "--port", "4000", "bob")))
        .isEqualTo(new ClientArgs("socket", "h", 4000, "bob"));
    assertThat(ClientArgs.parse(List.of("bob", "--transport=socket", "--port=4001")))
        .isEqualTo(new ClientArgs("socket", "localhost", 4001, "bob"));
  }

  @Test
  void mistakesSayWhatIsWrong() {
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--transport", "carrier-pigeon")))
        .hasMessage("--transport must be grpc or socket, was carrier-pigeon");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--port", "70000")))
        .hasMessage("--port must be 1-65535, was 70000");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--port")))
        .hasMessage("--port needs a value");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--verbose")))
        .hasMessage("unknown option --verbose");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("alice", "bob")))
        .hasMessage("only one user name, got alice and bob");
  }

  @Test
  void keysAndNoE2eAreParsed() throws Exception {
    assertThat(ClientArgs.parse(List.of("--keys", "/tmp/k", "--no-e2e", "alice")))
        .isEqualTo(
            new ClientArgs("grpc", "localhost", null, "alice", java.nio.file.Path.of("/tmp/k"), true));
    assertThat(ClientArgs.parse(List.of("--keys=/tmp/k")).keys())
        .isEqualTo(java.nio.file.Path.of("/tmp/k"));
    assertThat(ClientArgs.parse(List.of("alice")).noE2e()).isFalse();
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--keys", " ")))
        .hasMessage("--keys must be a directory, was ' '");
  }

  @Test
  void aBadCommandLineExitsWithStatusTwoAndHelpWithZero() {
    assertThat(ClientMain.run(new String[] {"--port", "x"})).isEqualTo(2);
    assertThat(ClientMain.run(new String[] {"--help"})).isZero();
  }

  @Test
  void tlsFlags() throws Exception {
    assertThat(ClientArgs.parse(List.of("--tls", "bob")).tls()).isTrue();
    ClientArgs ca = ClientArgs.parse(List.of("--ca", "certs/ca.pem", "bob"));
    assertThat(ca.tls()).as("--ca implies --tls").isTrue();
    assertThat(ca.ca()).isEqualTo(java.nio.file.Path.of("certs/ca.pem"));
    assertThat(ClientArgs.parse(List.of("--tls-name=chat.example.org")).tlsName())
        .isEqualTo("chat.example.org");
    assertThat(ClientArgs.parse(List.of("bob")).tls()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientArgs.parse(List.of("--ca")))
        .hasMessage("--ca needs a value");
  }

  private static List<ServerAddress> servers(String... args) throws Exception {
    return ClientArgs.parse(List.of(args)).servers();
  }

  @Test
  void severalServersByListOrByRepeatedHostAndPort() throws Exception {
    assertThat(servers("--server", "10.0.0.1:3000,10.0.0.2:3100,node3"))
        .containsExactly(
            new ServerAddress("10.0.0.1", 3000),
            new ServerAddress("10.0.0.2", 3100),
            new ServerAddress("node3", null));
    assertThat(servers("--server=[::1]:3000,::2"))
        .containsExactly(new ServerAddress("::1", 3000), new ServerAddress("::2", null));
    assertThat(servers("--port", "3000", "--port", "3100"))
        .as("one host, several ports")
        .containsExactly(new ServerAddress("localhost", 3000), new ServerAddress("localhost", 3100));
    assertThat(servers("--host", "a", "--host", "b", "--port", "3000"))
        .as("several hosts, one port")
        .containsExactly(new ServerAddress("a", 3000), new ServerAddress("b", 3000));
    assertThat(servers("--host", "a", "--port", "1", "--host", "b", "--port", "2"))
        .as("pairs")
        .containsExactly(new ServerAddress("a", 1), new ServerAddress("b", 2));
    assertThat(servers("--server", "a:1", "--host", "b"))
        .containsExactly(new ServerAddress("a", 1), new ServerAddress("b", null));
    assertThat(servers("--host", "h", "--port", "4000")).containsExactly(new ServerAddress("h", 4000));
  }

  @Test
  void serverAddressMistakesAndTooManySayWhatIsWrong() {
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--server", "a:1,,b:2")))
        .hasMessage("--server needs a host name, was empty");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--server", "a:http")))
        .hasMessage("--server port must be 1-65535, was http");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--server", "[::1:3000")))
        .hasMessage("--server has an unclosed '[' in '[::1:3000'");
    assertThatThrownBy(
            () -> ClientArgs.parse(List.of("--host", "a", "--host", "b", "--host", "c", "--port", "1", "--port", "2")))
        .hasMessage(
            "3 --host and 2 --port do not pair up; give one port for all hosts, one host for all"
                + " ports, or as many of each");
    String tooLong = "a".repeat(ServerAddress.MAX_HOST_CHARS + 1);
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--host", tooLong)))
        .hasMessage("--host host name is 254 characters; at most 253");
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--host", " ")))
        .hasMessage("--host needs a host name, was empty");
    String seventeen =
        String.join(",", java.util.Collections.nCopies(ClientArgs.MAX_SERVERS + 1, "h:1"));
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--server", seventeen)))
        .hasMessage("at most 16 server addresses, got more");
    String million = ",".repeat(1_000_000);
    assertThatThrownBy(() -> ClientArgs.parse(List.of("--server", million)))
        .isInstanceOf(ClientArgs.UsageException.class);
    List<String> manyPorts = new java.util.ArrayList<>();
    for (int i = 0; i <= ClientArgs.MAX_SERVERS; i++) {
      manyPorts.add("--port=" + (3000 + i));
    }
    assertThatThrownBy(() -> ClientArgs.parse(manyPorts))
        .hasMessage("at most 16 server addresses, got more");
  }
}
