package spartan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import spartan.core.AuthMode;
import spartan.core.Limits;
import spartan.core.service.LocalChatService;
import spartan.core.service.ServerThreads;
import spartan.core.store.ChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * The chat core the in-process benchmarks measure: the service over the memory store or the
 * embedded one (SQLite in a fresh temporary directory, deleted on close), in open auth mode, with
 * the thread pools {@code spartan server} gives it ({@link ServerThreads}) but none of its
 * decorators; the forked servers are {@code spartan server} itself. Closing stops the service and
 * its executors.
 */
final class CoreServer implements AutoCloseable {
  private final ExecutorService blocking =
      Executors.newFixedThreadPool(ServerThreads.blocking(), BenchThreads.daemon("core-blocking"));
  private final ExecutorService delivery =
      Executors.newFixedThreadPool(ServerThreads.delivery(), BenchThreads.daemon("core-delivery"));
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(BenchThreads.daemon("core-store-writer"));
  private final Path dataDir; // null for the memory store
  private final ChatStore store;
  private final LocalChatService service;

  /** A core over the memory store. */
  CoreServer() {
    this("memory");
  }

  /** A core over {@code memory} or {@code embedded}. */
  CoreServer(String storeType) {
    switch (storeType) {
      case "memory" -> {
        dataDir = null;
        store = new MemoryChatStore();
      }
      case "embedded" -> {
        try {
          dataDir = Files.createTempDirectory("spartan-bench-store");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot make a directory for the embedded store", e);
        }
        store = SqliteChatStore.open(dataDir.resolve("data"), writer);
      }
      default ->
          throw new IllegalArgumentException(
              "an in-process server has the memory or the embedded store, not " + storeType);
    }
    service =
        LocalChatService.builder()
            .store(store)
            .deliveryExecutor(delivery)
            .authMode(AuthMode.OPEN)
            .limits(Limits.defaults())
            // The bench signs up all its users from one loopback address.
            .authThrottle(
                spartan.core.auth.AuthThrottle.builder().signUpsPerAddressPerHour(1_000_000).build())
            .build();
  }

  LocalChatService service() {
    return service;
  }

  ExecutorService blockingExecutor() {
    return blocking;
  }

  @Override
  public void close() {
    service.close();
    blocking.shutdownNow();
    delivery.shutdownNow();
    try {
      blocking.awaitTermination(5, TimeUnit.SECONDS);
      delivery.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
    writer.shutdown();
    if (dataDir != null) {
      deleteTree(dataDir);
    }
  }

  /** Deletes a directory and everything in it, as far as it can. */
  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: the OS cleans up what is left
    }
  }
}
