package spartan.transport.grpc;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the server's event streams have handed to gRPC, for tests and metrics: with the client's
 * count of what it consumed, the difference is what sits in buffers between the two. Thread-safe.
 */
final class DeliveryStats {
  private final LongAdder events = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final AtomicInteger openStreams = new AtomicInteger();

  void sent(int serializedBytes) {
    events.increment();
    bytes.add(serializedBytes);
  }

  void opened() {
    openStreams.incrementAndGet();
  }

  void closed() {
    openStreams.decrementAndGet();
  }

  /** Events written to {@code ReceiveMsg} calls so far (the initial {@code started} excluded). */
  long eventsSent() {
    return events.sum();
  }

  /** Their serialized size, without gRPC's 5-byte and HTTP/2's 9-byte frame headers. */
  long bytesSent() {
    return bytes.sum();
  }

  /** {@code ReceiveMsg} calls open now. */
  int openStreams() {
    return openStreams.get();
  }
}
