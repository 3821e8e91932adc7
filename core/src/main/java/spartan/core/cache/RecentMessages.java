package spartan.core.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import spartan.core.Limits;
import spartan.core.Message;
import spartan.core.store.ChatStore;

/**
 * The recent-message cache: the newest {@code perConversation} messages of each conversation held
 * in memory, for as many conversations as {@code conversations} allows, answering {@code history}
 * without a store read when the answer is among them.
 *
 * <h2>Where it sits, and why that keeps it correct</h2>
 *
 * The cache sits <em>under</em> the service, as a {@link ChatStore} wrapper ({@link #wrap}): it
 * is keyed by the store's conversation key, which the service computes from account and group
 * ids only after its own checks (session valid, user exists, caller is a member). So serving from
 * it never skips an authorization or existence check, and a deleted-and-recreated account (a new
 * id) has a new key and never sees the old account's conversation. It is filled from {@link
 * ChatStore#append}'s completion, so every message this node stores lands in it, in id order
 * whatever order the appends complete in.
 *
 * <p>Only {@link ChatStore#cachedHistory} may be answered from memory; plain {@code history}
 * always reads the store. The service calls {@code cachedHistory} only from a session's
 * cache-reading form ({@link spartan.core.spi.CachedReads}), which the decorator calls for the API
 * methods marked {@code @Cached}, so the annotation stays the one switch. Answers are
 * identical to the store's: a window is loaded by a store read that starts after the window
 * exists (appends completing meanwhile are merged, by id), a conversation with an append in
 * flight is read from the store, and a request the window cannot answer in full (older messages,
 * a larger limit) is a miss read from the store.
 *
 * <h2>Policy</h2>
 *
 * Within a conversation the window is exact: the newest N by id. Across conversations Caffeine
 * bounds the count with W-TinyLFU, not strict LRU: a conversation is admitted over the one it
 * would evict only if it is used more often, so a user paging through many old conversations once
 * does not flush the few that everyone is reading. That is the behaviour wanted here; a strict
 * LRU would let one scan empty the cache.
 *
 * <p><b>Memory</b> is bounded in bytes: the windows together hold at most {@code maxBytes} of
 * messages (by {@link Message#approximateBytes}), and at most {@code conversations} windows. One
 * Caffeine weight does both: a window weighs its messages' bytes, but never less than {@code
 * maxBytes / conversations}, and the cache's maximum weight is {@code maxBytes}. A count alone
 * would let 10,000 conversations of five 40 KiB envelopes hold 2 GB.
 *
 * <p><b>One node only.</b> The cache sees the appends of its own node. With a store shared by
 * several nodes (Redis), other nodes' messages would be missing from it, so it must not be wired
 * there.
 *
 * <p>Thread-safe. Null arguments are rejected with {@link NullPointerException}.
 */
public final class RecentMessages {
  private final int perConversation;
  private final Cache<String, Window> windows;
  /** Conversations with an append in flight, and how many. Read from the store meanwhile. */
  private final Map<String, Integer> inflight = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  private RecentMessages(int perConversation, long conversations, long maxBytes) {
    this.perConversation = perConversation;
    // Every window weighs at least this, so the weight bound also bounds the count.
    long floor = Math.max(1, (maxBytes + conversations - 1) / conversations);
    int minWeight = (int) Math.min(Integer.MAX_VALUE, floor);
    this.windows =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .<String, Window>weigher((k, w) -> Math.max(minWeight, w.bytes()))
            .executor(Runnable::run)
            .recordStats()
            .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link RecentMessages}; setters validate at once, naming the setting. */
  public static final class Builder {
    /** The seed's window: the last 5 messages of a conversation. */
    public static final int DEFAULT_PER_CONVERSATION = 5;

    public static final long DEFAULT_CONVERSATIONS = 10_000;

    /** 64 MiB. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    private int perConversation = DEFAULT_PER_CONVERSATION;
    private long conversations = DEFAULT_CONVERSATIONS;
    private long maxBytes = DEFAULT_MAX_BYTES;

    private Builder() {}

    /** Messages kept per conversation ({@code cache.messagesPerConversation}), 1–500. */
    public Builder perConversation(int n) {
      if (n < 1 || n > Limits.MAX_HISTORY) {
        throw new IllegalArgumentException(
            "cache.messagesPerConversation must be 1-" + Limits.MAX_HISTORY
                + ", was " + n);
      }
      this.perConversation = n;
      return this;
    }

    /** Conversations held ({@code cache.conversations}), 1–10,000,000. */
    public Builder conversations(long n) {
      if (n < 1 || n > 10_000_000) {
        throw new IllegalArgumentException(
            "cache.conversations must be 1-10000000, was " + n);
      }
      this.conversations = n;
      return this;
    }

    /** Bytes of messages held at most ({@code cache.maxBytes}), 64 KiB–64 GiB. */
    public Builder maxBytes(long n) {
      if (n < (64L << 10) || n > (64L << 30)) {
        throw new IllegalArgumentException(
            "cache.maxBytes must be 65536-68719476736, was " + n);
      }
      this.maxBytes = n;
      return this;
    }

    public RecentMessages build() {
      return new RecentMessages(perConversation, conversations, maxBytes);
    }
  }

  /**
   * Returns a store that keeps this cache current from its appends and answers {@link
   * ChatStore#cachedHistory} from it. Build the service on the returned store; wrap one store
   * only.
   */
  public ChatStore wrap(ChatStore store) {
    return new RecentMessagesStore(Objects.requireNonNull(store, "store"), this);
  }

  /** Hits, misses and evictions since start, for the log at shutdown. */
  public Stats stats() {
    windows.cleanUp();
    long bytes = 0;
    for (Window w : windows.asMap().values()) {
      bytes += w.bytes();
    }
    return new Stats(
        hits.sum(), misses.sum(), windows.stats().evictionCount(), windows.estimatedSize(),
        bytes);
  }

  /**
   * Cache statistics. A hit is a history call answered from memory, a miss one read from the
   * store; an eviction is a conversation's window dropped to stay within the bounds; {@code
   * bytes} is what the held messages weigh.
   */
  public record Stats(long hits, long misses, long evictions, long conversations, long bytes) {
    @Override
    public String toString() {
      long total = hits + misses;
      return String.format(
          "recent-message cache: %d hits, %d misses (%.1f%% hit rate), %d evictions, %d"
              + " conversations held, %d KiB",
          hits, misses, total == 0 ? 0.0 : 100.0 * hits / total, evictions, conversations,
          bytes >> 10);
    }
  }

  // ---- used by RecentMessagesStore ----------------------------------------------------------

  int perConversation() {
    return perConversation;
  }

  void appendStarted(String conversation) {
    inflight.merge(conversation, 1, Integer::sum);
  }

  /** Adds a stored message to its window, then ends the in-flight mark. */
  void appendCompleted(String conversation, Message stored) {
    try {
      if (stored != null) {
        Window w = windows.getIfPresent(conversation);
        if (w != null && w.add(stored, perConversation)) {
          reweigh(conversation, w);
        }
      }
    } finally {
      inflight.computeIfPresent(conversation, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /**
   * The answer from memory, or null. On null the caller reads the store through {@code loader},
   * which also fills the window if it was never loaded.
   */
  List<Message> history(
      String conversation, long beforeId, int limit, HistoryReader loader) {
    Window w = windows.get(conversation, k -> new Window());
    if (!inflight.containsKey(conversation)) {
      List<Message> held = w.answer(beforeId, limit);
      if (held != null) {
        hits.increment();
        return held;
      }
    }
    misses.increment();
    boolean load = beforeId == 0 && w.startLoad();
    int readLimit = load ? Math.max(limit, perConversation) : limit;
    List<Message> read;
    boolean loaded = false;
    try {
      read = loader.read(conversation, beforeId, readLimit);
      if (load) {
        w.finishLoad(read, readLimit, perConversation);
        loaded = true;
        reweigh(conversation, w);
      }
    } finally {
      if (load && !loaded) {
        w.abortLoad();
      }
    }
    return read.size() > limit ? List.copyOf(read.subList(read.size() - limit, read.size())) : read;
  }

  /**
   * Has Caffeine weigh a window again after it changed (it weighs on writes only); a window
   * evicted meanwhile stays out.
   */
  private void reweigh(String conversation, Window w) {
    windows.asMap().replace(conversation, w, w);
  }

  /** A store history read. */
  @FunctionalInterface
  interface HistoryReader {
    List<Message> read(String conversation, long beforeId, int limit);
  }

  /**
   * One conversation's newest messages by id. NEW until a load starts (appends are ignored: the
   * load's store read, which starts later, sees them); LOADING while it reads (appends are kept
   * and merged); LOADED after. {@code truncated} says older messages may exist outside it.
   */
  static final class Window {
    private static final int NEW = 0;
    private static final int LOADING = 1;
    private static final int LOADED = 2;

    private final TreeMap<Long, Message> messages = new TreeMap<>();
    private int state = NEW;
    private boolean truncated;
    /** What {@link #messages} weigh; written under the lock, read by Caffeine's weigher. */
    private volatile int bytes;

    int bytes() {
      return bytes;
    }

    /** Adds a message; false if the window ignored it (not loading or loaded). */
    synchronized boolean add(Message m, int capacity) {
      if (state == NEW) {
        return false;
      }
      put(m);
      trim(capacity);
      return true;
    }

    private void put(Message m) {
      Message old = messages.put(m.id(), m);
      bytes += m.approximateBytes() - (old == null ? 0 : old.approximateBytes());
    }

    synchronized boolean startLoad() {
      if (state != NEW) {
        return false;
      }
      state = LOADING;
      messages.clear();
      bytes = 0;
      return true;
    }

    synchronized void finishLoad(List<Message> read, int requested, int capacity) {
      for (Message m : read) {
        put(m);
      }
      truncated = read.size() >= requested;
      trim(capacity);
      state = LOADED;
    }

    synchronized void abortLoad() {
      state = NEW;
      messages.clear();
      bytes = 0;
    }

    private void trim(int capacity) {
      while (messages.size() > capacity) {
        bytes -= messages.pollFirstEntry().getValue().approximateBytes();
        truncated = true;
      }
    }

    /** The {@code limit} newest messages before {@code beforeId}, oldest first, or null. */
    synchronized List<Message> answer(long beforeId, int limit) {
      if (state != LOADED) {
        return null;
      }
      var view = beforeId > 0 ? messages.headMap(beforeId, false) : messages;
      int n = view.size();
      if (n < limit && truncated) {
        return null;
      }
      var values = List.copyOf(view.values());
      return n > limit ? values.subList(n - limit, n) : values;
    }
  }
}
