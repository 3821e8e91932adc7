package spartan.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.testing.MutableClock;

class AuthThrottleTest {
  private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
  private final AuthThrottle throttle =
      AuthThrottle.builder()
          .clock(clock)
          .freeFailuresPerName(3)
          .freeFailuresPerAddress(10)
          .maxBackoff(Duration.ofSeconds(8))
          .signUpsPerAddressPerHour(4)
          .maxInFlightPerAddress(2)
          .build();

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  private static Duration refusedFor(ThrowingCallable call) {
    ChatException[] caught = new ChatException[1];
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(ChatException.class, e -> caught[0] = e);
    assertThat(caught[0].code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(caught[0].retryAfterMillis()).isPositive();
    return caught[0].retryAfter();
  }

  /** One finished attempt: begun, then closed. */
  private void attempt(String name, InetAddress address) {
    throttle.beginLogin(name, address).close();
  }

  /** An IPv4 peer as a dual-stack socket may report it: an Inet6Address {@code ::ffff:a.b.c.d}. */
  private static InetAddress mapped(int a, int b, int c, int d) throws Exception {
    byte[] bytes = new byte[16];
    bytes[10] = (byte) 0xff;
    bytes[11] = (byte) 0xff;
    bytes[12] = (byte) a;
    bytes[13] = (byte) b;
    bytes[14] = (byte) c;
    bytes[15] = (byte) d;
    return java.net.Inet6Address.getByAddress(null, bytes, -1);
  }

  @Test
  void anIpv4MappedAddressIsCountedAsItsIpv4AddressNotWithAllOfIpv4() throws Exception {
    InetAddress attacker = mapped(10, 0, 0, 1);
    assertThat(attacker).isInstanceOf(java.net.Inet6Address.class);
    for (int i = 0; i < 10; i++) {
      attempt("bot" + i, attacker);
    }
    assertThat(refusedFor(() -> throttle.beginLogin("bot10", attacker))).isPositive();
    // The same host seen as plain IPv4 is the same key; another IPv4 host is not held up.
    assertThat(refusedFor(() -> throttle.beginLogin("bot10", ip("10.0.0.1")))).isPositive();
    attempt("alice", mapped(10, 0, 0, 2));
    attempt("alice", ip("10.0.0.3"));
  }

  @Test
  void anAddressMayHaveOnlyAFewAttemptsBeingCheckedAtOnce() throws Exception {
    InetAddress a = ip("10.0.0.1");
    AuthThrottle.Attempt first = throttle.beginLogin("alice", a);
    AuthThrottle.Attempt second = throttle.beginLogin("bob", a);
    assertThat(refusedFor(() -> throttle.beginLogin("carol", a))).isPositive();
    attempt("carol", ip("10.0.0.2")); // other addresses are not held up
    first.close();
    first.close(); // harmless
    attempt("carol", a);
    second.close();
  }

  @Test
  void aNameGetsFreeAttemptsThenABackOffThatDoublesUpToTheMaximum() throws Exception {
    InetAddress a = ip("10.0.0.1");
    for (int i = 0; i < 3; i++) {
      attempt("alice", a);
    }
    assertThat(refusedFor(() -> throttle.beginLogin("alice", a))).isEqualTo(Duration.ofSeconds(1));
    // From anywhere: the name is what is being guessed.
    assertThat(refusedFor(() -> throttle.beginLogin("alice", ip("10.9.9.9"))))
        .isEqualTo(Duration.ofSeconds(1));
    clock.advance(Duration.ofMillis(999));
    assertThat(refusedFor(() -> throttle.beginLogin("alice", a))).isEqualTo(Duration.ofMillis(1));
    clock.advance(Duration.ofMillis(1));
    for (long expected : new long[] {2, 4, 8, 8}) {
      attempt("alice", a);
      Duration wait = refusedFor(() -> throttle.beginLogin("alice", a));
      assertThat(wait).isEqualTo(Duration.ofSeconds(expected));
      clock.advance(wait);
    }
    // Other names are untouched.
    attempt("bob", ip("10.0.0.2"));
  }

  @Test
  void aSuccessfulLoginForgivesTheName() throws Exception {
    InetAddress a = ip("10.0.0.1");
    for (int i = 0; i < 2; i++) {
      attempt("alice", a);
    }
    try (AuthThrottle.Attempt right = throttle.beginLogin("alice", a)) {
      right.succeeded();
    }
    for (int i = 0; i < 3; i++) {
      attempt("alice", a);
    }
  }

  @Test
  void anAttemptThatWasNeverTriedDoesNotCount() throws Exception {
    InetAddress a = ip("10.0.0.1");
    for (int i = 0; i < 20; i++) {
      try (AuthThrottle.Attempt busy = throttle.beginLogin("alice", a)) {
        busy.notTried();
      }
    }
    attempt("alice", a);
  }

  @Test
  void oneAddressGuessingManyNamesIsThrottledAndOthersAreNot() throws Exception {
    InetAddress attacker = ip("10.0.0.66");
    for (int i = 0; i < 10; i++) {
      attempt("name" + i, attacker);
    }
    assertThat(refusedFor(() -> throttle.beginLogin("fresh", attacker)))
        .isEqualTo(Duration.ofSeconds(1));
    attempt("fresh", ip("10.0.0.7"));
  }

  @Test
  void ipv6AddressesAreCountedByTheirSlash64() throws Exception {
    for (int i = 0; i < 10; i++) {
      attempt("name" + i, ip("2001:db8:1:2::" + Integer.toHexString(i + 1)));
    }
    refusedFor(() -> throttle.beginLogin("fresh", ip("2001:db8:1:2:ffff::1")));
    attempt("fresh", ip("2001:db8:1:3::1"));
  }

  @Test
  void signUpsHaveABudgetPerAddressThatRefillsOverTheHour() throws Exception {
    InetAddress a = ip("10.0.0.1");
    for (int i = 0; i < 4; i++) {
      throttle.beginSignUp(a);
    }
    Duration wait = refusedFor(() -> throttle.beginSignUp(a));
    assertThat(wait).isEqualTo(Duration.ofMinutes(15));
    throttle.beginSignUp(ip("10.0.0.2"));
    throttle.beginSignUp(null); // in-process: not limited
    clock.advance(wait);
    throttle.beginSignUp(a);
    refusedFor(() -> throttle.beginSignUp(a));
  }

  @Test
  void forgottenKeysLeaveTheTablesAndTheTablesAreBounded() throws Exception {
    AuthThrottle small = AuthThrottle.builder().clock(clock).maxTracked(50).build();
    for (int i = 0; i < 1000; i++) {
      small.beginLogin("name" + i, ip("10.1." + (i / 250) + "." + (i % 250))).close();
    }
    assertThat(small.trackedKeys()).isLessThanOrEqualTo(100);
    clock.advance(Duration.ofHours(1));
    assertThat(small.trackedKeys()).isZero();
  }
}
