package spartan.core.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import spartan.core.ChatException;

/**
 * Limits password guessing and mass sign-up before any password is hashed, so a flood costs the
 * server almost nothing and never takes the hashing capacity other users need to log in.
 *
 * <ul>
 *   <li><b>Login attempts</b> are counted per account name and per remote address. Each key gets
 *       a few free attempts ({@code freeFailuresPerName}, {@code freeFailuresPerAddress}); after
 *       that each further attempt must wait a back-off that starts at {@code firstBackoff} and
 *       doubles with every attempt, up to {@code maxBackoff}. An attempt counts the moment it is
 *       let through (so concurrent guesses cannot all slip past the free allowance); a successful
 *       login forgets the name's count and takes its attempt back from the address. Unknown names
 *       are counted like real ones, so the throttle does not tell which accounts exist. A key
 *       untouched for {@code forgetAfter} is forgotten. One address may also have only {@code
 *       maxInFlightPerAddress} attempts being checked at once.
 *   <li><b>Sign-ups</b> have their own budget per remote address: {@code signUpsPerAddressPerHour}
 *       at once, refilled evenly over an hour (a token bucket kept as one timestamp, GCRA).
 * </ul>
 *
 * A refusal is {@link ChatException#rateLimited} carrying how long to wait (always positive).
 * IPv6 addresses are counted by their /64 network, which one host usually holds whole. The tables
 * are Caffeine caches bounded in entries ({@code maxTracked} each, a few hundred bytes apiece)
 * and expiring on the injected clock, so memory stays bounded however many names or addresses a
 * flood uses. A null address (an in-process caller) is counted by name only.
 *
 * <p>Thread-safe; reads time only from the injected {@link Clock}.
 */
public final class AuthThrottle {
  private final Clock clock;
  private final int freePerName;
  private final int freePerAddress;
  private final long firstBackoff;
  private final long maxBackoff;
  private final long signUpInterval;
  private final long signUpBurst;
  private final Cache<String, Attempts> names;
  private final Cache<String, Attempts> addresses;
  /**
   * Login attempts in flight per address. An entry lives only while an attempt runs, so the
   * map is bounded by the calls running at once.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final int maxInFlightPerAddress;
  /** The wait stated when an address has too many attempts in flight: about one hash. */
  private static final Duration IN_FLIGHT_WAIT = Duration.ofMillis(250);
  /** Per address, the GCRA theoretical arrival time of the next sign-up, in clock nanos. */
  private final Cache<String, Long> signUps;

  private record Attempts(int count, long last) {}

  private AuthThrottle(Builder b) {
    this.clock = b.clock;
    this.freePerName = b.freePerName;
    this.freePerAddress = b.freePerAddress;
    this.maxInFlightPerAddress = b.maxInFlightPerAddress;
    this.firstBackoff = b.firstBackoff.toNanos();
    this.maxBackoff = b.maxBackoff.toNanos();
    this.signUpInterval = Duration.ofHours(1).toNanos() / b.signUpsPerHour;
    this.signUpBurst = signUpInterval * b.signUpsPerHour;
    Ticker ticker = this::now;
    this.names = table(b.maxTracked, b.forgetAfter, ticker);
    this.addresses = table(b.maxTracked, b.forgetAfter, ticker);
    // After an hour without a sign-up an address's bucket is full again: nothing to remember.
    this.signUps = table(b.maxTracked, Duration.ofHours(1), ticker);
  }

  private static <V> Cache<String, V> table(long max, Duration expiry, Ticker ticker) {
    return Caffeine.newBuilder()
        .maximumSize(max)
        .expireAfterWrite(expiry)
        .ticker(ticker)
        .executor(Runnable::run)
        .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds an {@link AuthThrottle}; setters validate at once, naming the setting. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private int freePerName = 5;
    private int freePerAddress = 20;
    private Duration firstBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private Duration forgetAfter = Duration.ofMinutes(15);
    private int signUpsPerHour = 30;
    private int maxInFlightPerAddress = 4;
    private long maxTracked = 100_000;

    private Builder() {}

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Login attempts per account name before back-off starts (default 5). */
    public Builder freeFailuresPerName(int n) {
      this.freePerName = atLeast("limits.loginFailuresPerName", n, 1);
      return this;
    }

    /** Login attempts per remote address before back-off starts (default 20). */
    public Builder freeFailuresPerAddress(int n) {
      this.freePerAddress = atLeast("limits.loginFailuresPerAddress", n, 1);
      return this;
    }

    /** The longest back-off between attempts (default 60 s); the first is 1 s. */
    public Builder maxBackoff(Duration d) {
      if (d.compareTo(firstBackoff) < 0) {
        throw new IllegalArgumentException(
            "limits.maxLoginBackoffSeconds must be at least " + firstBackoff.toSeconds()
                + " s, was " + d.toSeconds());
      }
      this.maxBackoff = d;
      return this;
    }

    /**
     * Login attempts one address may have being checked at once (default 4), so a burst from
     * one address cannot fill the queue for the hashing slots ahead of everyone else.
     */
    public Builder maxInFlightPerAddress(int n) {
      this.maxInFlightPerAddress = atLeast("maxInFlightPerAddress", n, 1);
      return this;
    }

    /** Sign-ups one address may make at once, and per hour after that (default 30). */
    public Builder signUpsPerAddressPerHour(int n) {
      this.signUpsPerHour = atLeast("limits.signUpsPerAddressPerHour", n, 1);
      return this;
    }

    /** Names, and addresses, remembered at most (default 100,000 of each). */
    public Builder maxTracked(long n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxTracked must be positive, was " + n);
      }
      this.maxTracked = n;
      return this;
    }

    public AuthThrottle build() {
      // Remember a key at least as long as its longest back-off, or the back-off would reset.
      forgetAfter = forgetAfter.compareTo(maxBackoff.multipliedBy(2)) < 0
          ? maxBackoff.multipliedBy(2) : forgetAfter;
      return new AuthThrottle(this);
    }

    private static int atLeast(String name, int n, int min) {
      if (n < min) {
        throw new IllegalArgumentException(name + " must be at least " + min + ", was " + n);
      }
      return n;
    }
  }

  /**
   * Lets a login attempt for {@code name} from {@code address} (null: in-process) go ahead and
   * counts it, or refuses it. The caller closes the returned attempt when it is over, having
   * said whether it {@linkplain Attempt#succeeded succeeded} or was {@linkplain Attempt#notTried
   * not tried}; until then it is one of the address's attempts in flight.
   *
   * @throws ChatException {@code RATE_LIMITED} with the wait, if the name or the address is in
   *     back-off, or the address already has {@code maxInFlightPerAddress} attempts in flight;
   *     nothing is counted then
   */
  public Attempt beginLogin(String name, InetAddress address) {
    Objects.requireNonNull(name, "name");
    String addressKey = address == null ? null : keyOf(address);
    long now = now();
    // Check both before counting either, so a refusal by one does not charge the other.
    long wait = Math.max(
        waitFor(names.getIfPresent(name), freePerName, now),
        addressKey == null ? 0 : waitFor(addresses.getIfPresent(addressKey), freePerAddress, now));
    if (wait > 0) {
      throw ChatException.rateLimited(Duration.ofNanos(wait));
    }
    if (addressKey != null) {
      boolean[] admitted = new boolean[1];
      inFlight.compute(
          addressKey,
          (k, n) -> {
            int current = n == null ? 0 : n;
            admitted[0] = current < maxInFlightPerAddress;
            return admitted[0] ? current + 1 : n;
          });
      if (!admitted[0]) {
        throw ChatException.rateLimited(IN_FLIGHT_WAIT);
      }
    }
    Attempt attempt = new Attempt(name, addressKey);
    long[] refused = new long[1];
    names.asMap().compute(name, (k, a) -> count(a, freePerName, now, refused));
    if (refused[0] == 0 && addressKey != null) {
      addresses.asMap().compute(addressKey, (k, a) -> count(a, freePerAddress, now, refused));
      if (refused[0] > 0) {
        uncount(names, name);
      }
    }
    if (refused[0] > 0) {
      // A concurrent attempt took the last free slot between the check and the count.
      attempt.close();
      throw ChatException.rateLimited(Duration.ofNanos(refused[0]));
    }
    return attempt;
  }

  /**
   * One login attempt let through by {@link #beginLogin}. Not thread-safe: the thread that
   * began it reports and closes it. Closing twice is harmless.
   */
  public final class Attempt implements AutoCloseable {
    private final String name;
    private final String addressKey;
    private boolean closed;

    private Attempt(String name, String addressKey) {
      this.name = name;
      this.addressKey = addressKey;
    }

    /** The password was right: forgive the name, and refund the address this attempt. */
    public void succeeded() {
      names.invalidate(name);
      if (addressKey != null) {
        uncount(addresses, addressKey);
      }
    }

    /** No password was checked (no hashing slot came free): this was no guess. */
    public void notTried() {
      uncount(names, name);
      if (addressKey != null) {
        uncount(addresses, addressKey);
      }
    }

    /** Ends the attempt: it no longer counts as in flight for its address. */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (addressKey != null) {
        inFlight.computeIfPresent(addressKey, (k, n) -> n <= 1 ? null : n - 1);
      }
    }
  }

  private static void uncount(Cache<String, Attempts> table, String key) {
    table.asMap().computeIfPresent(
        key, (k, a) -> a.count() <= 1 ? null : new Attempts(a.count() - 1, a.last()));
  }

  /**
   * Takes one sign-up from {@code address}'s budget (null: in-process, not limited).
   *
   * @throws ChatException {@code RATE_LIMITED} with the wait, when the budget is spent
   */
  public void beginSignUp(InetAddress address) {
    if (address == null) {
      return;
    }
    long now = now();
    long[] refused = new long[1];
    signUps.asMap().compute(
        keyOf(address),
        (k, tat) -> {
          long next = Math.max(tat == null ? now : tat, now) + signUpInterval;
          if (next - now > signUpBurst) {
            refused[0] = next - now - signUpBurst;
            return tat;
          }
          return next;
        });
    if (refused[0] > 0) {
      throw ChatException.rateLimited(Duration.ofNanos(refused[0]));
    }
  }

  /** Keys held in the login tables, for tests and metrics. */
  public long trackedKeys() {
    names.cleanUp();
    addresses.cleanUp();
    return names.estimatedSize() + addresses.estimatedSize();
  }

  private Attempts count(Attempts a, int free, long now, long[] refused) {
    long wait = waitFor(a, free, now);
    if (wait > 0) {
      refused[0] = wait;
      return a;
    }
    return new Attempts(a == null ? 1 : a.count() + 1, now);
  }

  /** Nanos until a key with {@code a} attempts may try again; 0 if it may now. */
  private long waitFor(Attempts a, int free, long now) {
    if (a == null || a.count() < free) {
      return 0;
    }
    int doublings = a.count() - free;
    long backoff =
        doublings >= 62 || firstBackoff > (maxBackoff >> Math.min(doublings, 62))
            ? maxBackoff
            : Math.min(maxBackoff, firstBackoff << doublings);
    long wait = a.last() + backoff - now;
    return Math.max(0, wait);
  }

  private long now() {
    Instant i = clock.instant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /**
   * An IPv4 address as is; an IPv6 address by its /64 network, except an IPv4-mapped one
   * ({@code ::ffff:a.b.c.d}, as a dual-stack listener may report an IPv4 peer), which is its
   * IPv4 address: keyed by its /64 ({@code ::ffff:0:0/64} is all of IPv4) one IPv4 attacker
   * would throttle every IPv4 user.
   */
  static String keyOf(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address && b.length == 16 && ipv4Mapped(b)) {
      return (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
    }
    if (address instanceof Inet6Address && b.length == 16) {
      return "6:" + Arrays.toString(Arrays.copyOf(b, 8));
    }
    return address.getHostAddress();
  }

  private static boolean ipv4Mapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }
}
