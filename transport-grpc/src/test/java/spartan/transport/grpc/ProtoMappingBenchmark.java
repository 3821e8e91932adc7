package spartan.transport.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.proto.v1.ChatProto;

/**
 * The gRPC transport's mapping between the core's values and protobuf, and protobuf's own
 * encoding, for the message event every delivery costs: map and serialise on the server, parse
 * and map back on the client. The counterpart of {@code WireCodecBenchmark}. In the transport's
 * tests, to reach its package-private mapping; the test-jar carries it to {@code spartan bench
 * jmh}, and {@code ProtoMappingBenchmarkTest} runs each method once in the build.
 *
 * <pre>
 * ./spartan bench jmh ProtoMappingBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ProtoMappingBenchmark {
  private ChatEvent.MessageReceived event;
  private ChatProto.Event proto;
  private byte[] bytes;

  @Setup
  public void setUp() {
    Message m =
        new Message(
            98765,
            "b0001",
            Recipient.user("b0002"),
            MessageBody.text("x".repeat(100)),
            Instant.ofEpochMilli(1_763_000_000_000L),
            null);
    event = new ChatEvent.MessageReceived(new Delivery(4321, m));
    proto = ProtoMapping.event(event);
    bytes = proto.toByteArray();
  }

  @Benchmark
  public ChatProto.Event mapEvent() {
    return ProtoMapping.event(event);
  }

  @Benchmark
  public byte[] mapAndSerialiseEvent() {
    return ProtoMapping.event(event).toByteArray();
  }

  @Benchmark
  public ChatEvent parseAndMapEvent() throws InvalidProtocolBufferException {
    return ProtoMapping.eventOrNull(ChatProto.Event.parseFrom(bytes));
  }
}
