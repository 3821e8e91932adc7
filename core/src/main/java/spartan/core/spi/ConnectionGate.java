package spartan.core.spi;

import java.net.InetAddress;
import java.util.HashMap;

/**
 * Admits or refuses new connections: at most {@code maxTotal} open at once, and at most {@code
 * maxPerAddress} from one remote address. One gate is shared by every transport of a server, so
 * the caps hold for the server as a whole. Transports call {@link #tryAcquire} when a connection
 * is accepted (refusing it cheaply, before any handler or TLS work, when it answers false) and
 * {@link #release} exactly once when an admitted connection closes.
 *
 * <p>Thread-safe. One short lock keeps both caps exact under concurrent accepts (accepts are far
 * rarer than messages, so the lock costs nothing measurable); the per-address map holds only
 * addresses with open connections.
 */
public final class ConnectionGate {
  private final int maxTotal;
  private final int maxPerAddress;
  private final HashMap<InetAddress, int[]> perAddress = new HashMap<>();
  private int open;
  private long refusedTotal;
  private long refusedPerAddress;

  /**
   * @param maxTotal connections open at once, over all addresses (at least 1)
   * @param maxPerAddress connections open at once from one remote address (at least 1)
   */
  public ConnectionGate(int maxTotal, int maxPerAddress) {
    if (maxTotal < 1) {
      throw new IllegalArgumentException("limits.maxConnections must be positive, was " + maxTotal);
    }
    if (maxPerAddress < 1) {
      throw new IllegalArgumentException(
          "limits.maxConnectionsPerAddress must be positive, was " + maxPerAddress);
    }
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /** A gate that admits everything (tests, benchmarks, client connectors). */
  public static ConnectionGate unlimited() {
    return new ConnectionGate(Integer.MAX_VALUE, Integer.MAX_VALUE);
  }

  /** Why a connection was refused, or {@link #ADMITTED}. */
  public enum Verdict {
    ADMITTED,
    SERVER_FULL,
    ADDRESS_FULL
  }

  /**
   * Counts a new connection from {@code address} if both caps allow it. A refused connection is
   * not counted and must not be released.
   */
  public synchronized Verdict tryAcquire(InetAddress address) {
    if (open >= maxTotal) {
      refusedTotal++;
      return Verdict.SERVER_FULL;
    }
    int[] n = perAddress.computeIfAbsent(address, a -> new int[1]);
    if (n[0] >= maxPerAddress) {
      refusedPerAddress++;
      return Verdict.ADDRESS_FULL;
    }
    n[0]++;
    open++;
    return Verdict.ADMITTED;
  }

  /** Forgets one admitted connection from {@code address}. */
  public synchronized void release(InetAddress address) {
    int[] n = perAddress.get(address);
    if (n == null) {
      return;
    }
    if (--n[0] <= 0) {
      perAddress.remove(address);
    }
    open--;
  }

  /** Connections admitted and not yet released. */
  public synchronized int open() {
    return open;
  }

  /** Connections refused so far because the server was full. */
  public synchronized long refusedServerFull() {
    return refusedTotal;
  }

  /** Connections refused so far because their address had too many open. */
  public synchronized long refusedAddressFull() {
    return refusedPerAddress;
  }

  public int maxTotal() {
    return maxTotal;
  }

  public int maxPerAddress() {
    return maxPerAddress;
  }
}
