package spartan.core;

import java.util.Objects;

/** What a live session is pushed. A closed set: a delivery, a chat request, or its answer. */
public sealed interface ChatEvent
    permits ChatEvent.MessageReceived, ChatEvent.ChatRequested, ChatEvent.ChatAnswered {

  /** A message from this user's inbox; ack its {@code seq} once shown. */
  record MessageReceived(Delivery delivery) implements ChatEvent {
    public MessageReceived {
      Objects.requireNonNull(delivery, "delivery");
    }

    public long seq() {
      return delivery.seq();
    }

    public Message message() {
      return delivery.message();
    }
  }

  /** {@code from} asks to chat; answer with {@link Session#respondChat}. */
  record ChatRequested(String from) implements ChatEvent {
    public ChatRequested {
      Objects.requireNonNull(from, "from");
    }
  }

  /** {@code from} answered this user's chat request. */
  record ChatAnswered(String from, boolean accepted) implements ChatEvent {
    public ChatAnswered {
      Objects.requireNonNull(from, "from");
    }
  }
}
