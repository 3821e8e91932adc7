package spartan.transport.socket.wire;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * One reusable array per thread, for a line that is filled and used up before the code that
 * filled it returns: throwaway arrays were a large share of the bytes the socket transport
 * allocated per message (BENCHMARKS.md has the profile). Each instance has its own arrays, so two
 * users of scratch space never share one. Thread-safe.
 */
public final class Scratch {
  /** Lines up to this size use the thread's array; longer ones get one of their own. */
  public static final int BYTES = 8192;

  private final FastThreadLocal<byte[]> arrays =
      new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
          return new byte[BYTES];
        }
      };

  /**
   * This thread's array (of {@link #BYTES}) if {@code size} fits it, else a new one of {@code
   * size}.
   */
  public byte[] array(int size) {
    return size <= BYTES ? arrays.get() : new byte[size];
  }
}
