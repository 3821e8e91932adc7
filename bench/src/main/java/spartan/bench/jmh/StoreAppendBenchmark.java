package spartan.bench.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * Durable append throughput of the embedded SQLite store, in messages per second, with and
 * without group commit. {@code oneAtATime} waits for each append before the next, so every
 * message pays a whole commit; {@code sixteenSenders} is sixteen threads each waiting for its own
 * append, as sixteen busy sessions would, so commits carry up to sixteen messages;
 * {@code pipelined} keeps {@value #WINDOW} appends in flight from one thread, the most a batch
 * can gather. {@code sync} is the store's {@link SqliteChatStore.Sync} setting.
 *
 * <pre>
 * ./mvnw -o -q -B -pl bench -am package dependency:build-classpath -DskipTests \
 *     -Dmdep.outputFile=target/classpath -Dmdep.includeScope=runtime
 * java -cp "bench/target/classes:$(cat bench/target/classpath)" org.openjdk.jmh.Main \
 *     StoreAppendBenchmark -f 1 -wi 2 -i 3 -w 3s -r 3s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class StoreAppendBenchmark {
  static final int WINDOW = 256;

  @Param({"NORMAL", "FULL"})
  public String sync;

  private Path dir;
  private ExecutorService writer;
  private SqliteChatStore store;
  private ChatStore.Draft draft;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("spartan-bench-store");
    writer = Executors.newSingleThreadExecutor();
    store = SqliteChatStore.open(dir, writer, SqliteChatStore.Sync.valueOf(sync));
    Instant now = Instant.now();
    store.createAccount("alice", null, now);
    store.createAccount("bob", null, now);
    draft =
        new ChatStore.Draft(
            "alice",
            Recipient.user("bob"),
            MessageBody.text("Hey Bob! A message of a typical chat length."),
            now,
            null,
            "d:1:2",
            List.of("bob"));
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    writer.shutdown();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(StoreAppendBenchmark::delete);
    }
  }

  @Benchmark
  @Threads(1)
  public ChatStore.Appended oneAtATime() {
    return store.append(draft).join();
  }

  @Benchmark
  @Threads(16)
  public ChatStore.Appended sixteenSenders() {
    return store.append(draft).join();
  }

  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(WINDOW)
  public Object pipelined() {
    CompletableFuture<?>[] inFlight = new CompletableFuture<?>[WINDOW];
    for (int i = 0; i < WINDOW; i++) {
      inFlight[i] = store.append(draft);
    }
    return CompletableFuture.allOf(inFlight).join();
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
