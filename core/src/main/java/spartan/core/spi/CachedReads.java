package spartan.core.spi;

import java.util.List;
import spartan.core.Cached;
import spartan.core.Message;
import spartan.core.Recipient;
import spartan.core.Session;

/**
 * The cache-reading form of a session: one method for each {@link Session} method marked {@link
 * Cached @Cached}, with the same name, parameters and contract, whose store reads a recent-message
 * cache under the store may answer ({@link spartan.core.store.ChatStore#cachedHistory}). The
 * session's own methods always read the store.
 *
 * <p>This is the explicit scope of {@code @Cached}: {@code ChatDecorator} routes each
 * {@code @Cached} call of a session that is a {@link Source} to the method here with the same
 * signature, found once when the decorator is built, and nothing is carried on the thread. A
 * session that is not a {@code Source} (a remote one, say) just runs the call. As thread-safe as
 * the session it belongs to.
 */
public interface CachedReads {
  /** {@link Session#history}, which the recent-message cache may answer. */
  List<Message> history(Recipient with, long beforeId, int limit);

  /** A session that has a cache-reading form. */
  interface Source {
    /** This session's cache-reading form; the same object on every call. */
    CachedReads cachedReads();
  }
}
