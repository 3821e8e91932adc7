package spartan.transport.socket.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loops every socket connector in this JVM shares, reference-counted: the first
 * connector starts them and the last one to close stops them. grpc-java does the same for its
 * Netty channels (its shared worker group), for the same reason: a process with many connectors,
 * like the benchmark's peers or a bot host, would otherwise run a thread per connector, each
 * woken for every line (BENCHMARKS.md has what that cost). Thread-safe.
 */
final class ClientLoops {
  /** Enough loops to keep the cores busy; a terminal client uses one of them. */
  static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

  private static EventLoopGroup group;
  private static int users;

  private ClientLoops() {}

  /** The shared group; pair every call with one {@link #release}. */
  static synchronized EventLoopGroup acquire() {
    if (group == null) {
      group = new MultiThreadIoEventLoopGroup(THREADS, new LoopThreads(), NioIoHandler.newFactory());
    }
    users++;
    return group;
  }

  /** Gives {@code g} back; the last user's release stops it and waits (at most 5 s) for that. */
  static void release(EventLoopGroup g) {
    synchronized (ClientLoops.class) {
      if (g != group || --users > 0) {
        return;
      }
      group = null;
    }
    g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** Whether the calling thread is one of the connectors' event loops, where nothing may block. */
  static boolean onLoopThread() {
    return Thread.currentThread() instanceof LoopThread;
  }

  private static final class LoopThread extends FastThreadLocalThread {
    LoopThread(Runnable r, String name) {
      super(r, name);
      setDaemon(true);
    }
  }

  private static final class LoopThreads implements ThreadFactory {
    private final AtomicInteger n = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      return new LoopThread(r, "spartan-socket-loop-" + n.incrementAndGet());
    }
  }
}
