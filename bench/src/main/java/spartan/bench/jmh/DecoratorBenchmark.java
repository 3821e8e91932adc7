package spartan.bench.jmh;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.GroupInfo;
import spartan.core.GroupInvite;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.cache.RecentMessages;
import spartan.core.decorate.ChatDecorator;
import spartan.core.limit.RateLimiter;
import spartan.core.service.LocalChatService;
import spartan.core.spi.CachedReads;
import spartan.core.store.MemoryChatStore;

/**
 * What the {@code @RateLimited}/{@code @Cached} decorator costs per call, on the in-process
 * service over the memory store with a direct executor. Each pair runs the same call on an
 * undecorated session ({@code plain*}), on the reflective proxy the server uses ({@code
 * decorated*}), and on a hand-written delegating session applying the same limiter and cache
 * ({@code handWritten*}), the alternative design, to show what the proxy's dispatch costs.
 *
 * <ul>
 *   <li>{@code fetch*}: an unannotated call (empty inbox): pure dispatch overhead;
 *   <li>{@code send*}: the rate-limited call: dispatch plus one local limiter check;
 *   <li>{@code history*}: the cached call, the latest 5 of a 50-message conversation: a store
 *       read undecorated, a cache hit decorated.
 * </ul>
 *
 * The store and limiter are rebuilt every iteration so memory and the budget stay bounded (the
 * limit, a million a second, is never reached: a denied send would throw and fail the run).
 *
 * <p>Run: {@code java -cp <bench classpath> org.openjdk.jmh.Main DecoratorBenchmark -f 1 -wi 2
 * -i 3 -prof 'spartan.bench.jmh.DecoratorBenchmark$CpuTime'}. On a shared, loaded machine the
 * wall-clock score mostly measures the share of CPU the run got; the {@link CpuTime} profiler
 * adds the process CPU time per operation, which the other machines' load barely moves.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class DecoratorBenchmark {
  private static final Recipient BOB = Recipient.user("bob");
  private static final Recipient CAROL = Recipient.user("carol");
  private static final MessageBody BODY = MessageBody.text("hello bob");

  private LocalChatService core;
  private RateLimiter limiter;
  private Session plain;
  private Session decorated;
  private Session handWritten;

  @Setup(Level.Iteration)
  public void setUp() {
    RecentMessages recent = RecentMessages.builder().build();
    core =
        LocalChatService.builder()
            .store(recent.wrap(new MemoryChatStore()))
            .deliveryExecutor(Runnable::run)
            .build();
    for (String n : List.of("alice", "bob", "carol")) {
      core.createAccount(n, null);
    }
    Session carol = core.login("carol", null);
    for (int i = 0; i < 50; i++) {
      carol.send(Recipient.user("alice"), "message " + i);
    }
    limiter = RateLimiter.builder().perSecond(1_000_000).burst(1_000_000).build();
    plain = core.login("alice", null);
    decorated =
        ChatDecorator.builder()
            .rateLimiter(limiter, Runnable::run)
            .recentMessages(recent)
            .build()
            .decorate(core.login("alice", null));
    handWritten = new HandWritten(core.login("alice", null), limiter, recent);
    decorated.history(CAROL, 0, 5); // load the window once
  }

  @TearDown(Level.Iteration)
  public void tearDown() {
    core.close();
    limiter.close();
  }

  @Benchmark
  public Object fetchPlain() {
    return plain.fetchUndelivered(10);
  }

  @Benchmark
  public Object fetchDecorated() {
    return decorated.fetchUndelivered(10);
  }

  @Benchmark
  public Object fetchHandWritten() {
    return handWritten.fetchUndelivered(10);
  }

  @Benchmark
  public Object sendPlain() {
    return plain.send(BOB, BODY, null);
  }

  @Benchmark
  public Object sendDecorated() {
    return decorated.send(BOB, BODY, null);
  }

  @Benchmark
  public Object sendHandWritten() {
    return handWritten.send(BOB, BODY, null);
  }

  @Benchmark
  public Object historyPlain() {
    return plain.history(CAROL, 0, 5);
  }

  @Benchmark
  public Object historyDecorated() {
    return decorated.history(CAROL, 0, 5);
  }

  @Benchmark
  public Object historyHandWritten() {
    return handWritten.history(CAROL, 0, 5);
  }

  /**
   * Adds {@code cpu.time.norm}: the benchmark JVM's CPU time (all threads, JIT and GC included)
   * per measured operation in an iteration. Unlike the average wall time it does not grow when
   * other processes take the CPU.
   */
  public static final class CpuTime implements InternalProfiler {
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long start;

    @Override
    public String getDescription() {
      return "process CPU time per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
      start = os.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(
        BenchmarkParams benchmark, IterationParams iteration, IterationResult result) {
      long ops = result.getMetadata().getMeasuredOps();
      double perOp = ops == 0 ? Double.NaN : (double) (os.getProcessCpuTime() - start) / ops;
      return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG));
    }
  }

  /** The alternative design, benchmark-only: the same handlers hard-wired per method. */
  private static final class HandWritten implements Session {
    private final Session s;
    private final RateLimiter limiter;
    private final CachedReads cached;

    HandWritten(Session s, RateLimiter limiter, RecentMessages recent) {
      this.s = s;
      this.limiter = limiter;
      this.cached =
          recent != null && s instanceof CachedReads.Source source
              ? source.cachedReads()
              : s::history;
    }

    @Override
    public String user() {
      return s.user();
    }

    @Override
    public String token() {
      return s.token();
    }

    @Override
    public CompletableFuture<SendReceipt> sendAsync(Recipient to, MessageBody body, String id) {
      RateLimiter.Decision d = limiter.tryAcquire("send:" + s.user());
      if (!d.allowed()) {
        return CompletableFuture.failedFuture(ChatException.rateLimited(d.retryAfter()));
      }
      return s.sendAsync(to, body, id);
    }

    @Override
    public List<Delivery> fetchUndelivered(int limit) {
      return s.fetchUndelivered(limit);
    }

    @Override
    public void ack(long upToSeq) {
      s.ack(upToSeq);
    }

    @Override
    public Flow.Publisher<ChatEvent> events(long afterSeq) {
      return s.events(afterSeq);
    }

    @Override
    public Page<Account> listAccounts(String pattern, String after, int limit) {
      return s.listAccounts(pattern, after, limit);
    }

    @Override
    public List<Message> history(Recipient with, long beforeId, int limit) {
      return cached.history(with, beforeId, limit);
    }

    @Override
    public void createGroup(String group, Collection<String> members, GroupPolicy policy) {
      s.createGroup(group, members, policy);
    }

    @Override
    public void invite(String group, Collection<String> users) {
      s.invite(group, users);
    }

    @Override
    public void joinGroup(String group) {
      s.joinGroup(group);
    }

    @Override
    public void declineInvite(String group) {
      s.declineInvite(group);
    }

    @Override
    public void leaveGroup(String group) {
      s.leaveGroup(group);
    }

    @Override
    public void removeMember(String group, String user) {
      s.removeMember(group, user);
    }

    @Override
    public void setRole(String group, String user, GroupRole role) {
      s.setRole(group, user, role);
    }

    @Override
    public void setGroupPolicy(String group, GroupPolicy policy) {
      s.setGroupPolicy(group, policy);
    }

    @Override
    public Page<GroupInfo> listGroups(String after, int limit) {
      return s.listGroups(after, limit);
    }

    @Override
    public List<GroupInvite> invitations() {
      return s.invitations();
    }

    @Override
    public GroupInfo groupInfo(String group) {
      return s.groupInfo(group);
    }

    @Override
    public void requestChat(String user) {
      s.requestChat(user);
    }

    @Override
    public void respondChat(String user, boolean accept) {
      s.respondChat(user, accept);
    }

    @Override
    public void publishKeys(byte[] bundle) {
      s.publishKeys(bundle);
    }

    @Override
    public Optional<byte[]> fetchKeys(String user) {
      return s.fetchKeys(user);
    }

    @Override
    public void deleteAccount() {
      s.deleteAccount();
    }

    @Override
    public void logout() {
      s.logout();
    }
  }
}
