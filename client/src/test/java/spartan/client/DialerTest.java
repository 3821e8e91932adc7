package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import spartan.client.Dialer.Endpoint;

/** Which endpoints a round tries: names resolved to each of their addresses, within bounds. */
class DialerTest {

  private static InetAddress ip(String name, String literal) throws UnknownHostException {
    return InetAddress.getByAddress(name, InetAddress.getByName(literal).getAddress());
  }

  private static Dialer dialer(Map<String, List<InetAddress>> dns, ServerAddress... addresses) {
    return Dialer.to(
        List.of(addresses),
        3000,
        host -> {
          List<InetAddress> found = dns.get(host);
          if (found == null) {
            throw new UnknownHostException(host);
          }
          return found;
        },
        e -> {
          throw new AssertionError("not opened here");
        },
        Dialer.Timing.DEFAULT);
  }

  @Test
  void aNameWithSeveralAddressesIsTriedAtEachAndTlsStillChecksTheName() throws Exception {
    Dialer d =
        dialer(
            Map.of(
                "chat.example.org",
                List.of(ip("chat.example.org", "192.0.2.1"), ip("chat.example.org", "192.0.2.2"))),
            new ServerAddress("chat.example.org", null));
    assertThat(d.endpoints())
        .containsExactly(
            new Endpoint("chat.example.org:3000 (192.0.2.1)", "192.0.2.1", 3000, "chat.example.org"),
            new Endpoint("chat.example.org:3000 (192.0.2.2)", "192.0.2.2", 3000, "chat.example.org"));
  }

  @Test
  void aNameWithOneAddressOrNoneIsConnectedToByName() throws Exception {
    Dialer d =
        dialer(
            Map.of("one.example.org", List.of(ip("one.example.org", "192.0.2.7"))),
            new ServerAddress("one.example.org", 4000),
            new ServerAddress("nowhere.invalid", null));
    assertThat(d.endpoints())
        .containsExactly(
            new Endpoint("one.example.org:4000", "one.example.org", 4000, "one.example.org"),
            new Endpoint("nowhere.invalid:3000", "nowhere.invalid", 3000, "nowhere.invalid"));
  }

  @Test
  void theSameAddressGivenTwiceIsTriedOnce() {
    Dialer d =
        dialer(
            Map.of(),
            new ServerAddress("10.0.0.1", 3000),
            new ServerAddress("10.0.0.1", null),
            new ServerAddress("10.0.0.1", 3100));
    assertThat(d.endpoints()).extracting(Endpoint::label)
        .containsExactly("10.0.0.1:3000", "10.0.0.1:3100");
  }

  @Test
  void aNameWithHundredsOfAddressesAndManyNamesAreCappedPerNameAndPerRound() throws Exception {
    List<InetAddress> many = new ArrayList<>();
    for (int i = 1; i <= 250; i++) {
      many.add(ip("big.example.org", "10.1.0." + i));
    }
    Dialer one = dialer(Map.of("big.example.org", many), new ServerAddress("big.example.org", null));
    assertThat(one.endpoints()).hasSize(Dialer.MAX_PER_NAME);

    List<ServerAddress> ports = new ArrayList<>();
    for (int p = 1; p <= ClientArgs.MAX_SERVERS; p++) {
      ports.add(new ServerAddress("big.example.org", 4000 + p));
    }
    Dialer all = dialer(Map.of("big.example.org", many), ports.toArray(ServerAddress[]::new));
    assertThat(all.endpoints()).hasSize(Dialer.MAX_ENDPOINTS);
  }
}
