package spartan.transport.grpc;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;

/** A raw call's listener that keeps only how the call ended: {@link #closed} gets its status. */
final class StatusListener<T> extends ClientCall.Listener<T> {
  final CompletableFuture<Status> closed = new CompletableFuture<>();

  @Override
  public void onClose(Status status, Metadata trailers) {
    closed.complete(status);
  }
}
