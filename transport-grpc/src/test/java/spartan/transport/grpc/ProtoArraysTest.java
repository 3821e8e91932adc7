package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import spartan.proto.v1.ChatProto;
import spartan.proto.v1.SpartanGrpc;

class ProtoArraysTest {
  private static final ChatProto.SendStreamRequest REQUEST =
      ChatProto.SendStreamRequest.newBuilder()
          .setSeq(300)
          .setSend(
              ChatProto.SendMessageRequest.newBuilder()
                  .setTo(ChatProto.Recipient.newBuilder().setUser("bob"))
                  .setBody(ChatProto.MessageBody.newBuilder().setText("h\u00e9llo \u2603 ".repeat(40)))
                  .setClientMsgId("c-1"))
          .build();

  @Test
  void aMessageIsWrittenAsProtobufWouldAndParsesBack() throws Exception {
    MethodDescriptor.Marshaller<ChatProto.SendStreamRequest> m =
        ProtoArrays.marshaller(ChatProto.SendStreamRequest.getDefaultInstance());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = m.stream(REQUEST)) {
      assertThat(in).isInstanceOf(KnownLength.class).isInstanceOf(Drainable.class);
      assertThat(in.available()).isEqualTo(REQUEST.getSerializedSize());
      assertThat(((Drainable) in).drainTo(out)).isEqualTo(REQUEST.getSerializedSize());
      assertThat(in.available()).isZero();
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThat(out.toByteArray()).isEqualTo(REQUEST.toByteArray());
    assertThat(m.parse(m.stream(REQUEST))).isEqualTo(REQUEST);
  }

  @Test
  void aStreamPartlyReadDrainsTheRest() throws Exception {
    InputStream in =
        ProtoArrays.marshaller(ChatProto.SendStreamRequest.getDefaultInstance()).stream(REQUEST);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < 5; i++) {
      out.write(in.read());
    }
    ((Drainable) in).drainTo(out);
    assertThat(out.toByteArray()).isEqualTo(REQUEST.toByteArray());
  }

  @Test
  void aServerMethodKeepsItsNameTypesAndHandlerAndWritesResponsesAsProtobufWould()
      throws Exception {
    ServerMethodDefinition<?, ?> sendStream =
        new SpartanGrpc.SpartanImplBase() {}
            .bindService()
            .getMethod(SpartanGrpc.getSendStreamMethod().getFullMethodName());
    @SuppressWarnings("unchecked")
    ServerMethodDefinition<ChatProto.SendStreamRequest, ChatProto.SendResult> original =
        (ServerMethodDefinition<ChatProto.SendStreamRequest, ChatProto.SendResult>) sendStream;

    ServerMethodDefinition<ChatProto.SendStreamRequest, ChatProto.SendResult> arrays =
        ProtoArrays.arrayResponses(original);

    MethodDescriptor<ChatProto.SendStreamRequest, ChatProto.SendResult> d =
        arrays.getMethodDescriptor();
    assertThat(d.getFullMethodName()).isEqualTo(SpartanGrpc.getSendStreamMethod().getFullMethodName());
    assertThat(d.getType()).isEqualTo(MethodDescriptor.MethodType.BIDI_STREAMING);
    assertThat(arrays.getServerCallHandler()).isSameAs(original.getServerCallHandler());
    ChatProto.SendResult result =
        ChatProto.SendResult.newBuilder()
            .setSeq(7)
            .setReceipt(ChatProto.SendReceipt.newBuilder().setMsgId(99).setDuplicate(true))
            .build();
    try (InputStream in = d.getResponseMarshaller().stream(result)) {
      assertThat(in.readAllBytes()).isEqualTo(result.toByteArray());
    }
  }
}
