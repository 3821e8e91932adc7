package spartan.client;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;

/**
 * The one place where typed text becomes a message and a message becomes a line on screen, so
 * end-to-end encryption (issue 7) can seal in {@link #send} and open in {@link #text} without
 * touching the REPL. Thread-safe (stateless apart from the display zone).
 */
final class Messenger {
  private final DateTimeFormatter clock;

  Messenger(ZoneId zone) {
    this.clock = DateTimeFormatter.ofPattern("HH:mm").withZone(zone);
  }

  /**
   * Sends {@code text} to {@code to}, blocking until the server stored it. A fresh client message
   * id makes a retried send idempotent.
   */
  SendReceipt send(Session session, Recipient to, String text) {
    return session.send(to, MessageBody.text(text), UUID.randomUUID().toString());
  }

  /** A live message: {@code [alice] Hey} or {@code [team/alice] Hey}. */
  String live(Message m) {
    return label(m) + " " + text(m);
  }

  /** A message that waited while this user was offline: {@code [alice] (earlier, 14:02) Hey}. */
  String earlier(Message m) {
    return label(m) + " (earlier, " + clock.format(m.sentAt()) + ") " + text(m);
  }

  /** A line of history: {@code [alice] (14:02) Hey}. */
  String history(Message m) {
    return label(m) + " (" + clock.format(m.sentAt()) + ") " + text(m);
  }

  private static String label(Message m) {
    return m.to() instanceof Recipient.Group g
        ? "[" + g.name() + "/" + m.from() + "]"
        : "[" + m.from() + "]";
  }

  /** The readable text of a message; where decryption will go. */
  private static String text(Message m) {
    if (m.body() instanceof MessageBody.Text t) {
      return t.text();
    }
    return "(an end-to-end encrypted message this client cannot open yet)";
  }
}
