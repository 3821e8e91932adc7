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
}
