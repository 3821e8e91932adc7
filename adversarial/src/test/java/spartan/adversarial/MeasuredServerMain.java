package spartan.adversarial;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import spartan.server.ServerMain;

/**
 * The child JVM's main: runs {@link ServerMain} unchanged, and answers {@code mem} on stdin with
 * one {@code MEM heap=… direct=…} line on stdout, so the test reads the memory the server holds
 * without the server exposing anything. The server stops when stdin ends, so a child never
 * outlives the test JVM that started it.
 */
public final class MeasuredServerMain {
  private MeasuredServerMain() {}

  public static void main(String[] args) {
    Thread commands = new Thread(MeasuredServerMain::serveCommands, "adversarial-commands");
    commands.setDaemon(true);
    commands.start();
    ServerMain.main(args);
  }

  private static void serveCommands() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("mem")) {
          System.out.println(memoryLine());
          System.out.flush();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Fall through: without a parent the server has no reason to run.
    }
    Runtime.getRuntime().halt(3);
  }

  /**
   * Heap in use after a full collection (what the server holds, not garbage), and direct memory:
   * the JDK's own count of direct buffers, plus Netty's count for each Netty copy (plain and
   * gRPC's shaded one) that allocates direct memory without the JDK's accounting.
   */
  static String memoryLine() {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long jdkDirect = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        jdkDirect = pool.getMemoryUsed();
      }
    }
    long netty = nettyDirect("io.netty.util.internal.PlatformDependent");
    long grpcNetty = nettyDirect("io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent");
    return "MEM heap=" + heap + " direct=" + (jdkDirect + netty + grpcNetty) + " jdkDirect="
        + jdkDirect + " nettyDirect=" + netty + " grpcNettyDirect=" + grpcNetty;
  }

  /**
   * Netty's direct memory outside the JDK's count: its counter when that Netty copy allocates
   * without a cleaner, else 0 (its counter then repeats what the JDK counts already).
   */
  private static long nettyDirect(String className) {
    try {
      Class<?> platform = Class.forName(className);
      if (!(Boolean) platform.getMethod("useDirectBufferNoCleaner").invoke(null)) {
        return 0;
      }
      Object used = platform.getMethod("usedDirectMemory").invoke(null);
      return Math.max(0, ((Number) used).longValue());
    } catch (ReflectiveOperationException | LinkageError e) {
      return 0;
    }
  }
}
