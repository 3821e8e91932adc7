package spartan.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import spartan.core.ChatEvent;
import spartan.core.Delivery;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;

class BusCodecTest {
  private static final List<BusCodec.Note> EVERY_KIND =
      List.of(
          new BusCodec.Tip("bob", 42),
          new BusCodec.Tell("bob", new ChatEvent.ChatRequested("alice")),
          new BusCodec.Tell("bob", new ChatEvent.ChatAnswered("alice", true)),
          new BusCodec.Tell("bob", new ChatEvent.GroupInvited("team", "alice")),
          new BusCodec.Tell("bob", new ChatEvent.MemberJoined("team", "carl", null)),
          new BusCodec.Tell("bob", new ChatEvent.MemberJoined("team", "carl", "alice")),
          new BusCodec.Tell("bob", new ChatEvent.MemberLeft("team", "carl")),
          new BusCodec.Tell("bob", new ChatEvent.MemberRemoved("team", "carl", "alice")),
          new BusCodec.Tell("bob", new ChatEvent.RoleChanged("team", "carl", GroupRole.OWNER, null)),
          new BusCodec.Tell(
              "bob", new ChatEvent.PolicyChanged("team", new GroupPolicy(true, true), "alice")),
          new BusCodec.Deleted("zoë"),
          new BusCodec.Recheck());

  @Test
  void everyNoteAndEventSurvivesTheRoundTrip() throws Exception {
    List<byte[]> payloads = BusCodec.encode("epoch-1", EVERY_KIND);
    assertThat(payloads).hasSize(1);
    BusCodec.Batch b = BusCodec.decode(payloads.get(0));
    assertThat(b.epoch()).isEqualTo("epoch-1");
    assertThat(b.notes()).isEqualTo(EVERY_KIND);
  }

  @Test
  void largeBatchesAreSplitWithinTheNoteAndByteBounds() throws Exception {
    List<BusCodec.Note> many = new ArrayList<>();
    String longName = "u".repeat(BusCodec.MAX_STRING);
    for (int i = 1; i <= 1000; i++) {
      many.add(new BusCodec.Tip(longName, i));
    }
    List<byte[]> payloads = BusCodec.encode("e", many);
    List<BusCodec.Note> back = new ArrayList<>();
    for (byte[] p : payloads) {
      assertThat(p.length).isLessThanOrEqualTo(BusCodec.MAX_PAYLOAD);
      BusCodec.Batch b = BusCodec.decode(p);
      assertThat(b.notes().size()).isLessThanOrEqualTo(BusCodec.MAX_NOTES);
      back.addAll(b.notes());
    }
    assertThat(back).isEqualTo(many);
  }

  @Test
  void overlongStringsAndMessagesAreRefusedWhenEncoding() {
    assertThatThrownBy(
            () -> BusCodec.encode("e", List.of(new BusCodec.Tip("u".repeat(256), 1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new BusCodec.Tell(
                    "bob",
                    new ChatEvent.MessageReceived(
                        new Delivery(1, new spartan.core.Message(
                            1, "a", spartan.core.Recipient.user("bob"),
                            new spartan.core.MessageBody.Text("x"),
                            java.time.Instant.EPOCH, null)))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedPayloadsAreRefusedNotCrashedOn() {
    byte[] good = BusCodec.encode("epoch", EVERY_KIND).get(0);
    // Every truncation of a valid payload is refused.
    for (int len = 0; len < good.length; len++) {
      byte[] cut = Arrays.copyOf(good, len);
      assertThatThrownBy(() -> BusCodec.decode(cut))
          .isInstanceOf(BusCodec.MalformedException.class);
    }
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertMalformed(trailing, "trailing");
    byte[] version = good.clone();
    version[0] = 9;
    assertMalformed(version, "version");
    assertMalformed(null, "missing");
    assertMalformed(new byte[BusCodec.MAX_PAYLOAD + 1], "larger");
    // header: version, epoch "e", then a count beyond the bound
    assertMalformed(
        ByteBuffer.allocate(6).put((byte) 1).putShort((short) 1).put((byte) 'e')
            .putShort((short) (BusCodec.MAX_NOTES + 1)).array(),
        "notes");
    // a tip with seq 0, an unknown note kind, an unknown event type, a role out of range,
    // a string claiming more than the bound, bytes that are not UTF-8, a missing required name
    assertMalformed(batch(new byte[] {1, 0, 1, 'b', 0, 0, 0, 0, 0, 0, 0, 0}), "seq");
    assertMalformed(batch(new byte[] {9}), "kind");
    assertMalformed(batch(new byte[] {2, 0, 1, 'b', 99}), "event type");
    assertMalformed(
        batch(new byte[] {2, 0, 1, 'b', 7, 0, 1, 't', 0, 1, 'c', 5, (byte) 0xFF, (byte) 0xFF}),
        "role");
    assertMalformed(batch(new byte[] {3, 1, 0}), "string");
    assertMalformed(batch(new byte[] {3, 0, 2, (byte) 0xC3, (byte) 0x28}), "UTF-8");
    assertMalformed(batch(new byte[] {3, (byte) 0xFF, (byte) 0xFF}), "missing");
    assertMalformed(batch(new byte[] {2, 0, 1, 'b', 8, 0, 1, 't', 2, 0, 1, 'a'}), "bad field");
  }

  /** One note's bytes in a batch of epoch "e". */
  private static byte[] batch(byte[] note) {
    return ByteBuffer.allocate(6 + note.length)
        .put((byte) 1)
        .putShort((short) 1)
        .put((byte) 'e')
        .putShort((short) 1)
        .put(note)
        .array();
  }

  private static void assertMalformed(byte[] payload, String why) {
    assertThatThrownBy(() -> BusCodec.decode(payload))
        .isInstanceOf(BusCodec.MalformedException.class)
        .hasMessageContaining(why);
  }
}
