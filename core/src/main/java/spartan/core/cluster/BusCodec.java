package spartan.core.cluster;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import spartan.core.ChatEvent;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;

/**
 * The bytes one node publishes to another: a batch of notes, each "this inbox grew", "tell this
 * user this event", "this account was deleted" or "re-read every stream". Core has no JSON
 * library and needs none: a batch is a version byte, the sender's dataset epoch and a count, then
 * each note as a kind byte and its fields (strings as a 2-byte length and UTF-8, at most {@link
 * #MAX_STRING} bytes; sequences as 8 bytes). Decoding checks every length and count and refuses
 * trailing bytes, so a malformed payload is a {@link MalformedException}, never a crash or an
 * unbounded allocation. Stateless and thread-safe.
 */
final class BusCodec {
  static final byte VERSION = 1;
  /** Most notes in one published batch. */
  static final int MAX_NOTES = 256;
  /** Largest payload published or accepted. */
  static final int MAX_PAYLOAD = 32 * 1024;
  /** Longest string field (names, the epoch), in UTF-8 bytes. */
  static final int MAX_STRING = 255;

  private static final byte TIP = 1;
  private static final byte TELL = 2;
  private static final byte DELETED = 3;
  private static final byte RECHECK = 4;

  private BusCodec() {}

  /** One thing a node tells another. */
  sealed interface Note extends Outgoing permits Tip, Tell, Deleted, Recheck {}

  /** {@code user}'s inbox holds entries up to {@code seq}. */
  record Tip(String user, long seq) implements Note {
    Tip {
      Objects.requireNonNull(user, "user");
      if (seq <= 0) {
        throw new IllegalArgumentException("seq must be positive, was " + seq);
      }
    }
  }

  /** Push {@code event} to {@code user}'s live streams. */
  record Tell(String user, ChatEvent event) implements Note {
    Tell {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(event, "event");
      if (event instanceof ChatEvent.MessageReceived) {
        throw new IllegalArgumentException("messages travel through the store, not the bus");
      }
    }
  }

  /** {@code user}'s account was deleted: end its sessions. */
  record Deleted(String user) implements Note {
    Deleted {
      Objects.requireNonNull(user, "user");
    }
  }

  /** News was lost: re-read every local stream from its cursor. */
  record Recheck() implements Note {}

  /** A decoded batch. */
  record Batch(String epoch, List<Note> notes) {}

  /** The payload was not a batch this codec writes. */
  static final class MalformedException extends Exception {
    MalformedException(String message) {
      super(message);
    }
  }

  /**
   * Encodes {@code notes} as one or more payloads, each at most {@link #MAX_NOTES} notes and
   * {@link #MAX_PAYLOAD} bytes.
   *
   * @throws IllegalArgumentException if a string is longer than {@link #MAX_STRING} bytes
   */
  static List<byte[]> encode(String epoch, List<Note> notes) {
    List<byte[]> out = new ArrayList<>();
    List<byte[]> encoded = new ArrayList<>(notes.size());
    for (Note n : notes) {
      encoded.add(note(n));
    }
    byte[] head = string(epoch);
    int i = 0;
    while (i < encoded.size()) {
      int size = 1 + head.length + 2;
      int j = i;
      while (j < encoded.size()
          && j - i < MAX_NOTES
          && size + encoded.get(j).length <= MAX_PAYLOAD) {
        size += encoded.get(j).length;
        j++;
      }
      ByteBuffer b = ByteBuffer.allocate(size);
      b.put(VERSION).put(head).putShort((short) (j - i));
      for (int k = i; k < j; k++) {
        b.put(encoded.get(k));
      }
      out.add(b.array());
      i = j;
    }
    return out;
  }

  private static byte[] note(Note n) {
    ByteArrayOutputStream o = new ByteArrayOutputStream(64);
    if (n instanceof Tip t) {
      o.write(TIP);
      o.writeBytes(string(t.user()));
      o.writeBytes(ByteBuffer.allocate(8).putLong(t.seq()).array());
    } else if (n instanceof Tell t) {
      o.write(TELL);
      o.writeBytes(string(t.user()));
      event(o, t.event());
    } else if (n instanceof Deleted d) {
      o.write(DELETED);
      o.writeBytes(string(d.user()));
    } else {
      o.write(RECHECK);
    }
    return o.toByteArray();
  }

  private static void event(ByteArrayOutputStream o, ChatEvent e) {
    if (e instanceof ChatEvent.ChatRequested r) {
      o.write(1);
      o.writeBytes(string(r.from()));
    } else if (e instanceof ChatEvent.ChatAnswered a) {
      o.write(2);
      o.writeBytes(string(a.from()));
      o.write(a.accepted() ? 1 : 0);
    } else if (e instanceof ChatEvent.GroupInvited g) {
      o.write(3);
      o.writeBytes(string(g.group()));
      o.writeBytes(string(g.by()));
    } else if (e instanceof ChatEvent.MemberJoined j) {
      o.write(4);
      o.writeBytes(string(j.group()));
      o.writeBytes(string(j.user()));
      o.writeBytes(string(j.invitedBy()));
    } else if (e instanceof ChatEvent.MemberLeft l) {
      o.write(5);
      o.writeBytes(string(l.group()));
      o.writeBytes(string(l.user()));
    } else if (e instanceof ChatEvent.MemberRemoved r) {
      o.write(6);
      o.writeBytes(string(r.group()));
      o.writeBytes(string(r.user()));
      o.writeBytes(string(r.by()));
    } else if (e instanceof ChatEvent.RoleChanged r) {
      o.write(7);
      o.writeBytes(string(r.group()));
      o.writeBytes(string(r.user()));
      o.write(r.role().ordinal());
      o.writeBytes(string(r.by()));
    } else if (e instanceof ChatEvent.PolicyChanged p) {
      o.write(8);
      o.writeBytes(string(p.group()));
      o.write((p.policy().open() ? 1 : 0) | (p.policy().sharedHistory() ? 2 : 0));
      o.writeBytes(string(p.by()));
    } else {
      throw new IllegalArgumentException("not a live-only event: " + e);
    }
  }

  /** A 2-byte length and UTF-8; length 0xFFFF for null. */
  private static byte[] string(String s) {
    if (s == null) {
      return new byte[] {(byte) 0xFF, (byte) 0xFF};
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_STRING) {
      throw new IllegalArgumentException("string longer than " + MAX_STRING + " bytes");
    }
    return ByteBuffer.allocate(2 + utf8.length).putShort((short) utf8.length).put(utf8).array();
  }

  /** Decodes one payload. */
  static Batch decode(byte[] payload) throws MalformedException {
    if (payload == null || payload.length > MAX_PAYLOAD) {
      throw new MalformedException("payload missing or larger than " + MAX_PAYLOAD + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(payload);
    try {
      byte v = b.get();
      if (v != VERSION) {
        throw new MalformedException("unknown version " + v);
      }
      String epoch = required(b);
      int count = Short.toUnsignedInt(b.getShort());
      if (count > MAX_NOTES) {
        throw new MalformedException(count + " notes, more than " + MAX_NOTES);
      }
      List<Note> notes = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        notes.add(readNote(b));
      }
      if (b.hasRemaining()) {
        throw new MalformedException(b.remaining() + " trailing bytes");
      }
      return new Batch(epoch, List.copyOf(notes));
    } catch (BufferUnderflowException e) {
      throw new MalformedException("truncated");
    } catch (IllegalArgumentException | NullPointerException | spartan.core.ChatException e) {
      throw new MalformedException("bad field: " + e.getMessage());
    }
  }

  private static Note readNote(ByteBuffer b) throws MalformedException {
    byte kind = b.get();
    switch (kind) {
      case TIP:
        return new Tip(required(b), b.getLong());
      case TELL:
        return new Tell(required(b), readEvent(b));
      case DELETED:
        return new Deleted(required(b));
      case RECHECK:
        return new Recheck();
      default:
        throw new MalformedException("unknown note kind " + kind);
    }
  }

  private static ChatEvent readEvent(ByteBuffer b) throws MalformedException {
    byte type = b.get();
    switch (type) {
      case 1:
        return new ChatEvent.ChatRequested(required(b));
      case 2:
        return new ChatEvent.ChatAnswered(required(b), flag(b));
      case 3:
        return new ChatEvent.GroupInvited(required(b), required(b));
      case 4:
        return new ChatEvent.MemberJoined(required(b), required(b), optional(b));
      case 5:
        return new ChatEvent.MemberLeft(required(b), required(b));
      case 6:
        return new ChatEvent.MemberRemoved(required(b), required(b), required(b));
      case 7:
        {
          String group = required(b);
          String user = required(b);
          int role = b.get();
          if (role < 0 || role >= GroupRole.values().length) {
            throw new MalformedException("unknown role " + role);
          }
          return new ChatEvent.RoleChanged(group, user, GroupRole.values()[role], optional(b));
        }
      case 8:
        {
          String group = required(b);
          int bits = b.get();
          if ((bits & ~3) != 0) {
            throw new MalformedException("unknown policy bits " + bits);
          }
          GroupPolicy policy = new GroupPolicy((bits & 1) != 0, (bits & 2) != 0);
          return new ChatEvent.PolicyChanged(group, policy, required(b));
        }
      default:
        throw new MalformedException("unknown event type " + type);
    }
  }

  private static boolean flag(ByteBuffer b) throws MalformedException {
    byte f = b.get();
    if (f != 0 && f != 1) {
      throw new MalformedException("bad flag " + f);
    }
    return f == 1;
  }

  private static String required(ByteBuffer b) throws MalformedException {
    String s = optional(b);
    if (s == null || s.isEmpty()) {
      throw new MalformedException("missing string");
    }
    return s;
  }

  private static String optional(ByteBuffer b) throws MalformedException {
    int len = Short.toUnsignedInt(b.getShort());
    if (len == 0xFFFF) {
      return null;
    }
    if (len > MAX_STRING) {
      throw new MalformedException("string of " + len + " bytes");
    }
    byte[] utf8 = new byte[len];
    b.get(utf8);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedException("string is not UTF-8");
    }
  }
}
