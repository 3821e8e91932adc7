package spartan.core.service;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;

/**
 * One session's event subscription. Live deliveries are pushed into a small queue bounded in
 * entries and in bytes; the drain runs on the delivery executor, on its own {@link
 * SerializingExecutor} lane, whenever there is something to deliver <em>and</em> demand
 * (Moquette's drain-on-event), never on a timer. When the subscriber falls behind — the queue
 * overflows, or a sequence gap shows a missed entry — the stream forgets the queue and catches
 * up from the store, which holds every entry anyway, so memory stays bounded however slow the
 * reader. An entry stored elsewhere arrives as a bare "the inbox has entries up to seq N"
 * ({@link #storedUpTo}) and is read from the store the same way.
 */
final class EventStream implements Flow.Subscription {
  private static final Logger log = LoggerFactory.getLogger(EventStream.class);

  /** Live entries held before falling back to reading the inbox from the store. */
  static final int MAX_LIVE = 1024;
  /**
   * Bytes of live entries held (by {@link spartan.core.Message#approximateBytes}) before falling
   * back to the store: a few of the largest envelopes, so a stream that does not read holds at
   * most this much, however large the messages.
   */
  static final long MAX_LIVE_BYTES = 256 * 1024;
  /** Control events (chat requests/answers) held for a subscriber with no demand. */
  static final int MAX_CONTROL = 256;
  /**
   * Inbox entries one catch-up read asks the store for, whatever the demand: a subscriber asks
   * for a few dozen at a time, and a read per few dozen made a drain at login cost more than the
   * live delivery of the same messages. What demand does not take yet waits in {@link #page},
   * bounded by {@link #MAX_LIVE_BYTES} like the live queue.
   */
  static final int PAGE = 512;

  private final String user;
  private final ChatStore store;
  private final Flow.Subscriber<? super ChatEvent> subscriber;
  private final Runnable onTerminate;

  private final AtomicLong demand = new AtomicLong();
  /** Asks for a run of {@link #drain} on this stream's lane; coalesces. */
  private final Runnable signal;
  private final AtomicBoolean endedInline = new AtomicBoolean();
  /** The highest sequence the inbox is known to hold, from {@link #storedUpTo}. */
  private final AtomicLong tip = new AtomicLong();
  private final ConcurrentLinkedQueue<Delivery> live = new ConcurrentLinkedQueue<>();
  private final AtomicInteger liveSize = new AtomicInteger();
  private final AtomicLong liveBytes = new AtomicLong();
  private final ConcurrentLinkedQueue<ChatEvent> control = new ConcurrentLinkedQueue<>();
  private final AtomicInteger controlSize = new AtomicInteger();
  private volatile boolean overflow;
  private volatile boolean cancelled;
  private volatile boolean completing;
  private volatile Throwable failure;

  // Touched only inside drain(), which never runs concurrently with itself.
  private long cursor;
  private boolean catchingUp = true;
  private boolean started;
  private long tipChecked;
  /** Entries read from the store ahead of demand, in sequence order, all after the cursor. */
  private final ArrayDeque<Delivery> page = new ArrayDeque<>();

  EventStream(
      String user,
      long cursor,
      ChatStore store,
      Executor executor,
      Flow.Subscriber<? super ChatEvent> subscriber,
      Runnable onTerminate) {
    this.user = user;
    this.cursor = cursor;
    this.store = store;
    this.signal = SerializingExecutor.coalescing(new SerializingExecutor(executor), this::drain);
    this.subscriber = subscriber;
    this.onTerminate = onTerminate;
  }

  /** Calls onSubscribe on the delivery executor, then starts draining. */
  void start() {
    schedule();
  }

  void offer(Delivery d) {
    int bytes = d.message().approximateBytes();
    if (liveSize.incrementAndGet() > MAX_LIVE) {
      liveSize.decrementAndGet();
      overflow = true;
    } else if (liveBytes.addAndGet(bytes) > MAX_LIVE_BYTES) {
      liveBytes.addAndGet(-bytes);
      liveSize.decrementAndGet();
      overflow = true;
    } else {
      live.offer(d);
    }
    schedule();
  }

  /**
   * The inbox holds entries up to {@code seq}, stored by someone who did not hand over the
   * entries themselves: those beyond what this stream has sent are read from the store.
   */
  void storedUpTo(long seq) {
    if (tip.accumulateAndGet(seq, Math::max) == seq) {
      schedule();
    }
  }

  /** Bytes of live entries held now; for tests. */
  long heldBytes() {
    return liveBytes.get();
  }

  /** Entries read ahead of demand and held now; for tests. */
  int pagedEntries() {
    return page.size(); // a test reads it between drains, on the drain's own thread
  }

  void offerControl(ChatEvent e) {
    if (controlSize.incrementAndGet() > MAX_CONTROL) {
      controlSize.decrementAndGet();
      log.debug("dropping control event for {}: subscriber not reading", user);
      return;
    }
    control.offer(e);
    schedule();
  }

  /** Ends the stream normally (logout, replaced by a newer subscription, shutdown). */
  void complete() {
    completing = true;
    schedule();
  }

  /** Ends the stream with an error. */
  void fail(Throwable t) {
    failure = t;
    schedule();
  }

  boolean isActive() {
    return !cancelled;
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      fail(ChatException.invalid("request(n) needs n > 0, was " + n));
      return;
    }
    demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
    schedule();
  }

  @Override
  public void cancel() {
    if (!cancelled) {
      cancelled = true;
      onTerminate.run();
      schedule();
    }
  }

  private void schedule() {
    try {
      signal.run();
    } catch (RejectedExecutionException rejected) {
      // Executor shut down: end the stream here, on the caller's thread (no drain is running,
      // since the lane was idle when it was refused), keeping the Flow rules: onSubscribe
      // first, then a terminal signal, once.
      if (!endedInline.compareAndSet(false, true)) {
        return;
      }
      boolean neverStarted = !started;
      started = true;
      cancelled = true;
      onTerminate.run();
      if (neverStarted) {
        safely(() -> subscriber.onSubscribe(this));
      }
      safely(() -> subscriber.onError(ChatException.unavailable("The server is shutting down.")));
    }
  }

  private void drain() {
    try {
      drainOnce();
    } catch (ChatException e) {
      if (e.code() == ErrorCode.UNAVAILABLE && catchingUp && !cancelled) {
        // The store is unreachable for now (Redis is down): the stream stays open and reads
        // again on its next news; a node whose Redis returns re-reads every stream's inbox.
        log.debug("event stream of {} waits for the store: {}", user, e.getMessage());
        return;
      }
      failWith(e);
    } catch (RuntimeException e) {
      failWith(e);
    }
  }

  private void failWith(RuntimeException e) {
    if (!cancelled) {
      log.warn("event stream of {} failed", user, e);
      cancelled = true;
      onTerminate.run();
      safely(() -> subscriber.onError(ChatException.wrap(e)));
    }
  }

  private void drainOnce() {
    if (!started) {
      started = true;
      subscriber.onSubscribe(this);
    }
    while (true) {
      if (cancelled) {
        live.clear();
        control.clear();
        page.clear();
        return;
      }
      Throwable f = failure;
      if (f != null) {
        terminate();
        safely(() -> subscriber.onError(f));
        return;
      }
      if (completing) {
        terminate();
        safely(subscriber::onComplete);
        return;
      }
      if (demand.get() == 0) {
        return;
      }
      // Undelivered messages come before pending chat requests: the backlog first, in order.
      ChatEvent c = catchingUp ? null : control.poll();
      if (c != null) {
        controlSize.decrementAndGet();
        emit(c);
        continue;
      }
      if (overflow) {
        overflow = false;
        catchingUp = true;
        int dropped = 0;
        long droppedBytes = 0;
        for (Delivery d; (d = live.poll()) != null; ) {
          dropped++;
          droppedBytes += d.message().approximateBytes();
        }
        liveSize.addAndGet(-dropped);
        liveBytes.addAndGet(-droppedBytes);
      }
      if (catchingUp) {
        if (page.isEmpty() && !readPage()) {
          catchingUp = false;
          continue;
        }
        for (Delivery d; demand.get() > 0 && (d = page.poll()) != null; ) {
          if (cancelled || completing) {
            break;
          }
          cursor = d.seq();
          emit(new ChatEvent.MessageReceived(d));
        }
        continue;
      }
      Delivery d = live.poll();
      if (d == null) {
        long t = tip.get();
        if (t > cursor && t > tipChecked) {
          tipChecked = t; // read once per news, so an entry not yet visible cannot spin us
          catchingUp = true;
          continue;
        }
        return;
      }
      liveSize.decrementAndGet();
      liveBytes.addAndGet(-d.message().approximateBytes());
      if (d.seq() <= cursor) {
        continue; // already delivered during catch-up
      }
      if (d.seq() == cursor + 1) {
        cursor = d.seq();
        emit(new ChatEvent.MessageReceived(d));
      } else {
        catchingUp = true; // a gap: read the missing entries (and this one) from the store
      }
    }
  }

  /**
   * Reads the next {@link #PAGE} entries after the cursor into {@link #page}, keeping no more
   * than {@link #MAX_LIVE_BYTES} of them (always at least one: the rest are read again later).
   * False if the inbox holds nothing after the cursor.
   */
  private boolean readPage() {
    List<Delivery> read = store.inbox(user, cursor, PAGE);
    long bytes = 0;
    for (Delivery d : read) {
      bytes += d.message().approximateBytes();
      if (bytes > MAX_LIVE_BYTES && !page.isEmpty()) {
        break;
      }
      page.add(d);
    }
    return !page.isEmpty();
  }

  private void emit(ChatEvent e) {
    if (demand.get() != Long.MAX_VALUE) {
      demand.decrementAndGet();
    }
    subscriber.onNext(e);
  }

  private void terminate() {
    cancelled = true;
    onTerminate.run();
    live.clear();
    control.clear();
    page.clear();
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("subscriber of {} threw", user, e);
    }
  }
}
