package spartan.transport.grpc;

import java.util.ArrayList;
import java.util.List;
import spartan.core.Message;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.proto.v1.ChatProto;

/**
 * A {@code History} reply read from the store a few messages at a time. The reply goes oldest
 * first, but the core reads history only backwards ({@code limit} messages before an id), so the
 * first read walks the requested window from its newest end, a few messages at a time, keeping
 * only the ids (at most {@link spartan.core.Limits#MAX_HISTORY} longs); later reads fetch the
 * window oldest first by those ids. Every read holds at most the {@code maxItems} it was given.
 * A window that fits one read is read once, as before.
 *
 * <p>A read asks for the messages just below the next unsent id's successor and keeps those not
 * older than the first of them, so a message deleted meanwhile (with its account) only shortens
 * the reply, and messages stored meanwhile (newer ids) never enter it. Not thread-safe: its
 * {@link StreamedReply} calls it under a lock.
 */
final class HistoryPages implements StreamedReply.Source<ChatProto.Message> {
  private final Session session;
  private final Recipient with;
  private final long beforeId;
  private final int limit;
  private boolean started;
  private long[] ids = new long[0]; // the window, oldest first, once planned
  private int next; // index in ids of the next message to read
  private List<Message> first; // the oldest read of the walk, served first without reading again

  HistoryPages(Session session, Recipient with, long beforeId, int limit) {
    this.session = session;
    this.with = with;
    this.beforeId = beforeId;
    this.limit = limit;
  }

  @Override
  public List<ChatProto.Message> read(int maxItems, long freeBytes) {
    if (!started) {
      started = true;
      if (limit <= maxItems || limit > spartan.core.Limits.MAX_HISTORY) {
        // One read does it; a limit out of range is the core's to refuse.
        next = Integer.MAX_VALUE;
        return convert(session.history(with, beforeId, limit));
      }
      plan(maxItems);
    }
    if (first != null) {
      List<Message> ms = first;
      first = null;
      next = ms.size();
      return convert(ms);
    }
    if (next >= ids.length) {
      return List.of();
    }
    int n = Math.min(maxItems, ids.length - next);
    long oldest = ids[next];
    long newest = ids[next + n - 1];
    next += n;
    List<Message> ms = session.history(with, newest + 1, n);
    List<ChatProto.Message> out = new ArrayList<>(ms.size());
    for (Message m : ms) {
      if (m.id() >= oldest) {
        out.add(ProtoMapping.message(m));
      }
    }
    return out;
  }

  /** Walks the window newest to oldest, {@code step} messages a read, noting the ids. */
  private void plan(int step) {
    long[] newestFirst = new long[limit];
    int count = 0;
    long before = beforeId;
    List<Message> last = List.of();
    while (count < limit) {
      int n = Math.min(step, limit - count);
      List<Message> ms = session.history(with, before, n);
      for (int i = ms.size() - 1; i >= 0; i--) {
        newestFirst[count++] = ms.get(i).id();
      }
      if (ms.isEmpty()) {
        break;
      }
      last = ms;
      if (ms.size() < n) {
        break;
      }
      before = ms.get(0).id();
    }
    ids = new long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = newestFirst[count - 1 - i];
    }
    first = last.isEmpty() ? null : last;
  }

  private static List<ChatProto.Message> convert(List<Message> ms) {
    List<ChatProto.Message> out = new ArrayList<>(ms.size());
    for (Message m : ms) {
      out.add(ProtoMapping.message(m));
    }
    return out;
  }
}
