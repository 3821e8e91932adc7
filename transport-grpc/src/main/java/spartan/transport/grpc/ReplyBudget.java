package spartan.transport.grpc;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import spartan.core.ChatException;

/**
 * What server-streaming replies may hold: at most {@link #MAX_PER_SESSION} such calls open at
 * once per session and {@link #MAX_PER_ADDRESS} per remote address (so many sessions or
 * connections from one place do not multiply the rest), and — for the items they have read from
 * the store and not yet handed to gRPC — a budget of {@link #SESSION_BYTES} per session, which
 * sets how many items the next store read may take ({@link Lease#itemsToRead}). With gRPC's own
 * per-call buffer (its onReady threshold plus the message that crossed it) that bounds, in bytes,
 * what clients that open listings and never read them can make the server hold.
 *
 * <p>Thread-safe. One instance per endpoint; sessions are keyed by their token, addresses by IP,
 * and an entry lives only while it has a reply open.
 */
final class ReplyBudget {
  /** Server-streaming calls one session may have open at once. */
  static final int MAX_PER_SESSION = 4;
  /** Server-streaming calls open at once from one remote address, over all its sessions. */
  static final int MAX_PER_ADDRESS = 32;
  /**
   * Bytes of read-but-unsent items one session's replies may hold; each open reply may read one
   * item past it, so every reply makes progress.
   */
  static final long SESSION_BYTES = 1 << 20;
  /** The most items one store read takes, however small they are. */
  static final int MAX_ITEMS_PER_READ = 32;
  /** The wait suggested to a caller refused for having too many replies open. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final ConcurrentHashMap<String, Share> shares = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<InetAddress, Integer> addresses = new ConcurrentHashMap<>();
  private final AtomicLong pinned = new AtomicLong();
  private final int largestItemBytes;

  /**
   * @param largestItemBytes the largest item a reply can carry (the frame limit: a client accepts
   *     nothing larger), used as the worst case when sizing a read
   */
  ReplyBudget(int largestItemBytes) {
    this.largestItemBytes = largestItemBytes;
  }

  /**
   * Opens one reply for the session with this token, called from {@code address} (null for an
   * in-process call, which only the session's cap applies to).
   *
   * @throws ChatException {@code RATE_LIMITED} (gRPC {@code RESOURCE_EXHAUSTED}) if the session
   *     already has {@link #MAX_PER_SESSION} open, or the address {@link #MAX_PER_ADDRESS}
   */
  Lease open(String sessionToken, InetAddress address) {
    Share share = openShare(sessionToken);
    if (address != null) {
      boolean[] admitted = new boolean[1];
      addresses.compute(
          address,
          (a, n) -> {
            int open = n == null ? 0 : n;
            if (open >= MAX_PER_ADDRESS) {
              return n;
            }
            admitted[0] = true;
            return open + 1;
          });
      if (!admitted[0]) {
        share.close();
        throw ChatException.rateLimited(
            "Too many listings open from your address (at most "
                + MAX_PER_ADDRESS
                + "): read or cancel some, then try again.",
            RETRY_AFTER);
      }
    }
    return new Lease(share, address);
  }

  private Share openShare(String sessionToken) {
    Share[] opened = new Share[1];
    shares.compute(
        sessionToken,
        (k, s) -> {
          Share share = s != null ? s : new Share(k);
          if (share.calls < MAX_PER_SESSION) {
            share.calls++;
            opened[0] = share;
          }
          return share;
        });
    if (opened[0] == null) {
      throw ChatException.rateLimited(
          "Too many listings open on this session (at most "
              + MAX_PER_SESSION
              + "): read or cancel one, then try again.",
          RETRY_AFTER);
    }
    return opened[0];
  }

  /** Bytes read from the store and not yet handed to gRPC, over all sessions (tests, metrics). */
  long pinnedBytes() {
    return pinned.get();
  }

  /** Sessions with a reply open now. */
  int sessions() {
    return shares.size();
  }

  /** Addresses with a reply open now. */
  int addresses() {
    return addresses.size();
  }

  /** One open reply's hold on its session's budget and its address's count; close it once. */
  final class Lease {
    private final Share share;
    private final InetAddress address;

    private Lease(Share share, InetAddress address) {
      this.share = share;
      this.address = address;
    }

    /** See {@link Share#itemsToRead}. */
    int itemsToRead() {
      return share.itemsToRead();
    }

    /** See {@link Share#freeBytes}. */
    long freeBytes() {
      return share.freeBytes();
    }

    void pin(long n) {
      share.pin(n);
    }

    void unpin(long n) {
      share.unpin(n);
    }

    /** Ends this reply: its session and its address may open another. */
    void close() {
      share.close();
      if (address != null) {
        addresses.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
      }
    }
  }

  /** One session's part of the budget; each open reply of the session holds it until closed. */
  final class Share {
    private final String key;
    private int calls; // guarded by the map's lock for this key (compute)
    private long bytes; // guarded by this

    private Share(String key) {
      this.key = key;
    }

    /**
     * How many items the next store read of a reply may take: as many worst-case items as the
     * session's free budget holds, at least one (so every reply makes progress) and at most
     * {@link #MAX_ITEMS_PER_READ}.
     */
    synchronized int itemsToRead() {
      long free = SESSION_BYTES - bytes;
      return (int) Math.max(1, Math.min(MAX_ITEMS_PER_READ, free / largestItemBytes));
    }

    /** The session's budget not yet taken, never negative. */
    synchronized long freeBytes() {
      return Math.max(0, SESSION_BYTES - bytes);
    }

    synchronized void pin(long n) {
      bytes += n;
      pinned.addAndGet(n);
    }

    synchronized void unpin(long n) {
      bytes -= n;
      pinned.addAndGet(-n);
    }

    /** Ends one reply of this session; called once per reply opened. */
    private void close() {
      shares.computeIfPresent(key, (k, s) -> --s.calls == 0 ? null : s);
    }
  }
}
