package spartan.client;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import spartan.core.ChatException;
import spartan.core.Message;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.core.crypto.SealedMessageException;

/**
 * The one place where typed text becomes a message and a message becomes a line on screen:
 * end-to-end encryption (issue 7) seals in {@link #send} and opens in {@link #live}, {@link
 * #earlier} and {@link #history}, so the REPL never sees an envelope. Thread-safe.
 */
final class Messenger {
  private static final int SEEN = 10_000;
  private final DateTimeFormatter clock;
  private final Encryption encryption;
  private final Printer printer;
  /** Recently shown (sender, target, client message id) keys; guarded by itself. */
  private final Map<String, Boolean> seen =
      new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > SEEN;
        }
      };

  Messenger(ZoneId zone, Encryption encryption, Printer printer) {
    this.clock = DateTimeFormatter.ofPattern("HH:mm").withZone(zone);
    this.encryption = encryption;
    this.printer = printer;
  }

  /**
   * Sends {@code text} to {@code to}, sealed for every reader when all have pinned keys, blocking
   * until the server stored it. When some reader has no keys, {@code askPlain} is asked (once per
   * conversation and login) whether to send plain text; a reader whose key changed refuses the
   * send. A fresh client message id makes a retried send idempotent and is bound into the seal.
   *
   * @return the receipt, or null if nothing was sent (the reason has been printed)
   */
  SendReceipt send(Session session, Recipient to, String text, Predicate<String> askPlain) {
    String id = UUID.randomUUID().toString();
    Encryption.Outgoing how = encryption.prepare(to);
    if (how instanceof Encryption.Outgoing.Refuse r) {
      printer.info(r.why());
      return null;
    }
    if (how instanceof Encryption.Outgoing.AskPlain a) {
      if (!askPlain.test(a.question())) {
        printer.info("Not sent.");
        return null;
      }
      encryption.agreePlain(to);
      how = new Encryption.Outgoing.Plain();
    }
    if (how instanceof Encryption.Outgoing.Seal s) {
      byte[] envelope;
      try {
        envelope = encryption.seal(to, id, s.readers(), text);
      } catch (SealedMessageException e) {
        printer.info("Not sent: " + Printer.sentence(e.getMessage()));
        return null;
      }
      return session.send(to, MessageBody.sealed(envelope), id);
    }
    return session.send(to, MessageBody.text(text), id);
  }

  /**
   * Whether a live message is new by sender, target and client message id: the server may store
   * the same envelope again (a replay) under a new message id, which must not show twice.
   */
  boolean firstSight(Message m) {
    if (m.clientMsgId() == null) {
      return true;
    }
    String key = m.from() + "\n" + m.to() + "\n" + m.clientMsgId();
    synchronized (seen) {
      return seen.put(key, Boolean.TRUE) == null;
    }
  }

  /** A live message: {@code [alice] Hey} or {@code [team/alice] Hey}. */
  String live(Message m) {
    return line(m, " ");
  }

  /** A message that waited while this user was offline: {@code [alice] (earlier, 14:02) Hey}. */
  String earlier(Message m) {
    return line(m, " (earlier, " + clock.format(m.sentAt()) + ") ");
  }

  /** A line of history: {@code [alice] (14:02) Hey}. */
  String history(Message m) {
    return line(m, " (" + clock.format(m.sentAt()) + ") ");
  }

  /**
   * The label, {@code middle} and the text; or, for a sealed message that fails, why instead. The
   * text is the sender's: its further lines start with {@link TerminalText#CONTINUATION}, so none
   * can pass for another message or a {@code [Spartan]} line.
   */
  private String line(Message m, String middle) {
    if (m.body() instanceof MessageBody.Text t) {
      return label(m) + middle + TerminalText.body(t.text());
    }
    try {
      return label(m) + middle + TerminalText.body(encryption.open(m));
    } catch (SealedMessageException e) {
      return Printer.notOpened(m.from(), e.getMessage());
    } catch (ChatException e) {
      // The sender's keys could not be fetched (e.g. the connection dropped): still no text.
      return Printer.notOpened(
          m.from(), "the sender's keys could not be fetched (" + e.getMessage() + ")");
    }
  }

  private static String label(Message m) {
    String from = TerminalText.clean(m.from());
    return m.to() instanceof Recipient.Group g
        ? "[" + TerminalText.clean(g.name()) + "/" + from + "]"
        : "[" + from + "]";
  }
}
