package spartan.core.service;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.Delivery;
import spartan.core.spi.SerializingExecutor;
import spartan.core.store.ChatStore;

/**
 * Delivery: takes "these inboxes have new entries up to seq N" from whoever stored them and
 * pushes the entries to the live sessions of those users on this node. Two kinds of news come
 * in: the local store's append result, which carries the entries themselves ({@link
 * #stored(ChatStore.Appended)}), and a bare tip from elsewhere, such as another node's
 * notification ({@link #storedUpTo}), whose entries each session's stream reads from the store.
 * Either way a stream that sees a gap fills it from the store, so news may be late, repeated or
 * coalesced, but never makes a session skip or repeat an entry.
 *
 * <p>Threads: the news is handed to one {@link SerializingExecutor} lane on the delivery
 * executor, so the caller (the store's writer thread, a pub/sub listener) only enqueues, news
 * arriving together costs one hand-off, and entries reach each stream in the order they were
 * stored. Pushing never blocks: each session's stream holds a bounded queue and drains on its
 * own lane. If the delivery executor is shut down the news is dropped; the entries stay in the
 * store for the next subscription.
 *
 * <p>Thread-safe. Null arguments are refused with {@link NullPointerException}.
 */
public final class DeliveryRouter {
  private static final Logger log = LoggerFactory.getLogger(DeliveryRouter.class);

  private final SessionRegistry sessions;
  private final SerializingExecutor lane;
  private final ChatStore store;

  DeliveryRouter(SessionRegistry sessions, Executor deliveryExecutor, ChatStore store) {
    this.sessions = sessions;
    this.lane = new SerializingExecutor(deliveryExecutor);
    this.store = store;
  }

  /**
   * Pushes the entries of a local append to their recipients' live sessions, and tells the store
   * when a recipient has none here, so the message will be read back ({@link ChatStore#readLater}).
   */
  void stored(ChatStore.Appended appended) {
    if (appended.duplicate() || appended.deliveries().isEmpty()) {
      return;
    }
    hand(
        () -> {
          List<String> users = appended.recipients();
          List<Delivery> entries = appended.deliveries();
          boolean someoneAway = false;
          for (int i = 0; i < entries.size(); i++) {
            Collection<LocalSession> live = sessions.of(users.get(i));
            someoneAway |= live.isEmpty();
            for (LocalSession s : live) {
              s.offer(entries.get(i));
            }
          }
          if (someoneAway) {
            store.readLater(appended.message());
          }
        });
  }

  /**
   * The inbox of {@code user} holds entries up to {@code seq}, stored by someone who does not
   * hand over the entries (another node): the user's live sessions read what they lack from the
   * store.
   *
   * @throws IllegalArgumentException if {@code seq} is not positive
   */
  public void storedUpTo(String user, long seq) {
    Objects.requireNonNull(user, "user");
    if (seq <= 0) {
      throw new IllegalArgumentException("seq must be positive, was " + seq);
    }
    hand(() -> tip(user, seq));
  }

  /** {@link #storedUpTo(String, long)} for many inboxes at once, as one hand-off. */
  public void storedUpTo(Map<String, Long> tips) {
    Map<String, Long> copy = Map.copyOf(tips);
    copy.values().forEach(seq -> {
      if (seq <= 0) {
        throw new IllegalArgumentException("seq must be positive, was " + seq);
      }
    });
    hand(() -> copy.forEach(this::tip));
  }

  private void tip(String user, long seq) {
    for (LocalSession s : sessions.of(user)) {
      s.storedUpTo(seq);
    }
  }

  private void hand(Runnable push) {
    try {
      lane.execute(push);
    } catch (RejectedExecutionException shutDown) {
      log.debug("delivery executor closed; entries stay in the store for the next subscription");
    }
  }
}
