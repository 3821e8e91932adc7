package spartan.core;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * What a message carries: plain text, or an end-to-end sealed envelope that the server stores
 * and forwards without parsing.
 */
public sealed interface MessageBody permits MessageBody.Text, MessageBody.Sealed {

  static MessageBody text(String text) {
    return new Text(text);
  }

  static MessageBody sealed(byte[] envelope) {
    return new Sealed(envelope);
  }

  /** Plain UTF-8 text, visible to the server. */
  record Text(String text) implements MessageBody {
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /** An opaque end-to-end envelope; the array is copied in and out. */
  record Sealed(byte[] envelope) implements MessageBody {
    public Sealed {
      Objects.requireNonNull(envelope, "envelope");
      envelope = envelope.clone();
    }

    @Override
    public byte[] envelope() {
      return envelope.clone();
    }

    /** The envelope's length without copying it. */
    public int length() {
      return envelope.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Sealed s && Arrays.equals(envelope, s.envelope);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(envelope);
    }

    @Override
    public String toString() {
      // Never the bytes themselves: logs stay free of message content.
      return "Sealed[" + envelope.length + " bytes]";
    }

    public String base64() {
      return Base64.getEncoder().encodeToString(envelope);
    }
  }
}
