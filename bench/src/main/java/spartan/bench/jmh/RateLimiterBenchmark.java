package spartan.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import spartan.core.limit.FailoverRateLimiter;
import spartan.core.limit.RateLimiter;

/**
 * One rate-limit check, as the server builds the limiter: local (a Caffeine lookup and a CAS) and
 * Redis (one EVALSHA round trip, through the failover wrapper). Checks rotate over 1,024 users so
 * the budget — a million a second each — is never exhausted and the allowed path is measured.
 *
 * <p>The Redis check needs a redis-server you start for the run, never a shared one: {@code
 * redis-server --port 6390 --save "" --appendonly no} then {@code java -cp <bench classpath>
 * org.openjdk.jmh.Main RateLimiterBenchmark -f 1 -wi 2 -i 3 -p redisUrl=redis://127.0.0.1:6390}.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class RateLimiterBenchmark {
  private static final String[] KEYS = new String[1024];

  static {
    for (int i = 0; i < KEYS.length; i++) {
      KEYS[i] = "send:user" + i;
    }
  }

  @State(Scope.Thread)
  public static class Local {
    RateLimiter limiter;
    int next;

    @Setup
    public void setUp() {
      limiter = RateLimiter.builder().perSecond(1_000_000).burst(1_000_000).build();
    }

    @TearDown
    public void tearDown() {
      limiter.close();
    }
  }

  @State(Scope.Thread)
  public static class Redis {
    /** The redis-server started for the run. */
    @Param("")
    public String redisUrl;

    RateLimiter limiter;
    int next;

    @Setup
    public void setUp() {
      if (redisUrl.isBlank()) {
        throw new IllegalStateException("pass -p redisUrl=redis://127.0.0.1:<port>");
      }
      limiter =
          RateLimiter.builder().perSecond(1_000_000).burst(1_000_000).redis(redisUrl).build();
      limiter.tryAcquire(KEYS[0]); // loads the script
      if (((FailoverRateLimiter) limiter).isFallingBack()) {
        throw new IllegalStateException("Redis at " + redisUrl + " is not answering");
      }
    }

    @TearDown
    public void tearDown() {
      if (((FailoverRateLimiter) limiter).isFallingBack()) {
        throw new IllegalStateException("fell back to the local limiter during the run");
      }
      limiter.close();
    }
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public RateLimiter.Decision localCheck(Local s) {
    return s.limiter.tryAcquire(KEYS[s.next++ & (KEYS.length - 1)]);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public RateLimiter.Decision redisCheck(Redis s) {
    return s.limiter.tryAcquire(KEYS[s.next++ & (KEYS.length - 1)]);
  }
}
