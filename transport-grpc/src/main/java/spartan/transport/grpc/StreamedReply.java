package spartan.transport.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One server-streaming reply, read from the store a few items at a time as the client takes
 * them — grpc-java's manualflowcontrol pattern applied to the store reads as well as the writes.
 * Items are written only while the call {@code isReady()}; the next read happens only when the
 * items of the last one are all written and the call is still ready, and takes no more than the
 * session's budget allows ({@link ReplyBudget.Lease}). So a client that opens a listing and stops reading
 * holds, on the server, at most one read's worth of items plus gRPC's per-call buffer.
 *
 * <p>Thread-safety: gRPC runs the RPC method and the onReady and onCancel handlers of one call on
 * its serializing executor; the monitor of this object serializes them anyway, store reads
 * included (they run on the server's blocking executor, never on an event loop).
 *
 * @param <R> the reply's message type
 */
final class StreamedReply<R extends MessageLite> {
  /** Where a reply's items come from, in order. Called under the reply's lock, one at a time. */
  interface Source<R> {
    /**
     * The next items, at most {@code maxItems} and, where the source may choose how much to
     * answer, about {@code freeBytes}; an empty list once there are no more.
     *
     * @throws RuntimeException (a {@code ChatException}) to fail the call with its status
     */
    List<R> read(int maxItems, long freeBytes);
  }

  private final ServerCallStreamObserver<R> out;
  private final ReplyBudget.Lease share;
  private final Source<R> source;
  private final ArrayDeque<R> unsent = new ArrayDeque<>();
  private long unsentBytes;
  private boolean exhausted;
  private boolean ended;

  private StreamedReply(ServerCallStreamObserver<R> out, ReplyBudget.Lease share, Source<R> source) {
    this.out = out;
    this.share = share;
    this.source = source;
  }

  /**
   * Serves {@code source} on {@code out}, holding {@code share} until the call ends. Must run
   * inside the RPC method: gRPC takes the onReady and onCancel handlers only before it returns.
   */
  static <R extends MessageLite> void serve(
      ServerCallStreamObserver<R> out, ReplyBudget.Lease share, Source<R> source) {
    StreamedReply<R> reply = new StreamedReply<>(out, share, source);
    out.setOnCancelHandler(reply::cancel);
    out.setOnReadyHandler(reply::drain);
    reply.drain();
  }

  private synchronized void drain() {
    while (!ended) {
      if (unsent.isEmpty()) {
        if (exhausted) {
          end(null);
          return;
        }
        if (!out.isReady()) {
          return; // read nothing more until the client has taken what it was sent
        }
        List<R> items;
        try {
          items = source.read(share.itemsToRead(), share.freeBytes());
        } catch (RuntimeException e) {
          end(e);
          return;
        }
        if (items.isEmpty()) {
          exhausted = true;
          continue;
        }
        long bytes = 0;
        for (R item : items) {
          bytes += item.getSerializedSize();
        }
        unsent.addAll(items);
        unsentBytes += bytes;
        share.pin(bytes);
      }
      if (!out.isReady()) {
        return;
      }
      R item = unsent.poll();
      long size = item.getSerializedSize(); // memoized by protobuf
      unsentBytes -= size;
      share.unpin(size);
      out.onNext(item);
    }
  }

  /** The client went away: drop what was read and give the session's budget back. */
  private synchronized void cancel() {
    if (!ended) {
      ended = true;
      release();
    }
  }

  private void end(RuntimeException failure) {
    ended = true;
    release();
    if (failure == null) {
      out.onCompleted();
    } else {
      out.onError(StatusMapping.toStatus(failure));
    }
  }

  private void release() {
    unsent.clear();
    share.unpin(unsentBytes);
    unsentBytes = 0;
    share.close();
  }
}
