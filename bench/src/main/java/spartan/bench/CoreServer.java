package spartan.bench;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import spartan.core.AuthMode;
import spartan.core.Limits;
import spartan.core.service.LocalChatService;
import spartan.core.store.MemoryChatStore;

/**
 * The chat core the benchmarks measure: the in-process service over the memory store, in open
 * auth mode, so the figures are the transports' and the service's, not a disk's. Built the way
 * the conformance suite builds it. Closing stops the service and its executors.
 */
final class CoreServer implements AutoCloseable {
  /** Threads for calls into the core that may block: sized as {@code spartan server} sizes them. */
  static final int BLOCKING_THREADS = Math.max(16, Runtime.getRuntime().availableProcessors() * 8);
  /** Threads that drain event streams to subscribers, likewise. */
  static final int DELIVERY_THREADS = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);

  private final MemoryChatStore store = new MemoryChatStore();
  private final ExecutorService blocking =
      Executors.newFixedThreadPool(BLOCKING_THREADS, BenchThreads.daemon("core-blocking"));
  private final ExecutorService delivery =
      Executors.newFixedThreadPool(DELIVERY_THREADS, BenchThreads.daemon("core-delivery"));
  private final LocalChatService service =
      LocalChatService.builder()
          .store(store)
          .deliveryExecutor(delivery)
          .authMode(AuthMode.OPEN)
          .limits(Limits.defaults())
          // The bench signs up all its users from one loopback address.
          .authThrottle(
              spartan.core.auth.AuthThrottle.builder().signUpsPerAddressPerHour(1_000_000).build())
          .build();

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
  }
}
