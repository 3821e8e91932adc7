package spartan.transport.socket.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
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
import spartan.core.SendReceipt;

/**
 * The socket transport's JSON, per line, for the lines one direct message costs: the send request
 * (client writes, server parses), its reply (server writes, client parses) and the message event
 * (server writes, client parses). These hot lines are written and read by hand ({@code *Hand}:
 * {@link LineWriter} and {@link FlatJson}, through {@link ClientLines#sendLine}, {@link
 * MessageLines}, {@link ServerLines} and {@link ClientLines}), straight between objects and the
 * socket's buffer; {@code *Tree} is the general path through a Jackson tree and ObjectMapper, which
 * every other line takes, for comparison. In the transport's tests, to reach its package-private
 * codec; the test-jar carries it to {@code spartan bench jmh}, and {@code WireCodecBenchmarkTest}
 * runs each method once in the build.
 *
 * <pre>
 * ./spartan bench jmh WireCodecBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class WireCodecBenchmark {
  private final WireJson json = WireJson.bounded(65536);
  private final MessageLines lines = new MessageLines();
  private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
  private byte[] sendLine;
  private byte[] eventLine;
  private byte[] replyLine;
  private Message message;
  private ChatEvent.MessageReceived event;
  private SendReceipt receipt;

  @Setup
  public void setUp() {
    String body = "x".repeat(100);
    sendLine =
        ("{\"id\":12345,\"op\":\"send\",\"to\":\"b0002\",\"body\":\"" + body + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    message =
        new Message(
            98765,
            "b0001",
            Recipient.user("b0002"),
            MessageBody.text(body),
            Instant.ofEpochMilli(1_763_000_000_000L),
            null);
    event = new ChatEvent.MessageReceived(new Delivery(4321, message));
    ByteBuf treeEvent = json.line(alloc, WireFormat.event(event));
    eventLine = new byte[treeEvent.readableBytes() - 1];
    treeEvent.readBytes(eventLine);
    treeEvent.release();
    receipt = new SendReceipt(98765, message.sentAt(), false);
    ByteBuf reply = lines.sendReply(alloc, IntNode.valueOf(12345), receipt);
    replyLine = new byte[reply.readableBytes() - 1];
    reply.readBytes(replyLine);
    reply.release();
  }

  @Benchmark
  public JsonNode parseSendRequestTree() throws Exception {
    return json.parse(sendLine);
  }

  @Benchmark
  public Object parseSendRequestHand() {
    return ServerLines.read(sendLine, sendLine.length);
  }

  @Benchmark
  public ChatEvent parseMessageEventTree() throws Exception {
    return WireFormat.eventFrom((ObjectNode) json.parse(eventLine));
  }

  @Benchmark
  public Object parseMessageEventHand() {
    return ClientLines.read(eventLine, eventLine.length);
  }

  @Benchmark
  public SendReceipt parseSendReplyTree() throws Exception {
    return WireFormat.receiptFrom(json.parse(replyLine));
  }

  @Benchmark
  public Object parseSendReplyHand() {
    return ClientLines.read(replyLine, replyLine.length);
  }

  @Benchmark
  public int writeMessageEventHand() {
    ByteBuf b = lines.line(alloc, event);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public int writeMessageEventTree() {
    ByteBuf b = json.line(alloc, WireFormat.event(event));
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public int writeSendReplyHand() {
    ByteBuf b = lines.sendReply(alloc, IntNode.valueOf(12345), receipt);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public int writeSendRequestHand() {
    ByteBuf b = ClientLines.sendLine(alloc, 12345, message.to(), message.body(), null);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  /** The floor under every written line: a pooled buffer of an event's size, filled and freed. */
  @Benchmark
  public int allocateEventSizedBuffer() {
    ByteBuf b = alloc.buffer(eventLine.length + 1).writeBytes(eventLine).writeByte('\n');
    int n = b.readableBytes();
    b.release();
    return n;
  }
}
