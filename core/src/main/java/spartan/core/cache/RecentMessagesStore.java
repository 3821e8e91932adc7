package spartan.core.cache;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import spartan.core.Message;
import spartan.core.store.ChatStore;
import spartan.core.store.ForwardingChatStore;

/** The {@link ChatStore} face of {@link RecentMessages}: delegates, feeding and reading it. */
final class RecentMessagesStore extends ForwardingChatStore {
  private final RecentMessages recent;

  RecentMessagesStore(ChatStore store, RecentMessages recent) {
    super(store);
    this.recent = recent;
  }

  @Override
  public CompletableFuture<Appended> append(Draft draft) {
    String conversation = draft.conversation();
    recent.appendStarted(conversation);
    CompletableFuture<Appended> appended;
    try {
      appended = target.append(draft);
    } catch (RuntimeException e) {
      recent.appendCompleted(conversation, null);
      throw e;
    }
    // Dependents of the returned future (the sender's receipt) run after the cache holds it.
    return appended.whenComplete(
        (a, err) ->
            recent.appendCompleted(
                conversation, err == null && !a.duplicate() ? a.message() : null));
  }

  /** Read from the store; only {@link #cachedHistory} may be answered from memory. */
  @Override
  public List<Message> history(String conversation, long beforeId, int limit) {
    return target.history(conversation, beforeId, limit);
  }

  @Override
  public List<Message> cachedHistory(String conversation, long beforeId, int limit) {
    if (beforeId < 0 || limit < 1) {
      return target.history(conversation, beforeId, limit);
    }
    return recent.history(conversation, beforeId, limit, target::history);
  }

  @Override
  public String toString() {
    return "RecentMessages[" + target + "]";
  }
}
