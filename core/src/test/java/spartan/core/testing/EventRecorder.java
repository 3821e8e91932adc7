package spartan.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import spartan.core.ChatEvent;

/**
 * A {@link Flow.Subscriber} that records events for tests to wait on — a queue and blocking
 * polls with a timeout, never sleeps. Requests everything unless built with {@link #manual()}.
 */
public final class EventRecorder implements Flow.Subscriber<ChatEvent> {
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final BlockingQueue<ChatEvent> events = new LinkedBlockingQueue<>();
  private final boolean unbounded;
  private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
  /** Completes normally on onComplete, exceptionally on onError. */
  public final CompletableFuture<Void> done = new CompletableFuture<>();

  private EventRecorder(boolean unbounded) {
    this.unbounded = unbounded;
  }

  public static EventRecorder unbounded() {
    return new EventRecorder(true);
  }

  /** Requests nothing until {@link #request(long)} is called. */
  public static EventRecorder manual() {
    return new EventRecorder(false);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription.complete(s);
    if (unbounded) {
      s.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(ChatEvent item) {
    events.add(item);
  }

  @Override
  public void onError(Throwable t) {
    done.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    done.complete(null);
  }

  public void request(long n) {
    subscription.join().request(n);
  }

  public void cancel() {
    subscription.join().cancel();
  }

  /** Waits for the subscription to be established. */
  public EventRecorder awaitSubscribed() {
    try {
      subscription.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("not subscribed within " + TIMEOUT, e);
    }
    return this;
  }

  /** The next event of any kind. */
  public ChatEvent next() {
    try {
      ChatEvent e = events.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) {
        throw new AssertionError("no event within " + TIMEOUT);
      }
      return e;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new AssertionError(ie);
    }
  }

  /** The next event, which must be of type {@code type}. */
  public <T extends ChatEvent> T next(Class<T> type) {
    ChatEvent e = next();
    assertThat(e).isInstanceOf(type);
    return type.cast(e);
  }

  /** The next event, which must be a message. */
  public ChatEvent.MessageReceived nextMessage() {
    return next(ChatEvent.MessageReceived.class);
  }

  /** The next {@code n} messages, in arrival order. */
  public List<ChatEvent.MessageReceived> nextMessages(int n) {
    List<ChatEvent.MessageReceived> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(nextMessage());
    }
    return out;
  }

  /** Events received and not yet taken, without waiting. */
  public List<ChatEvent> drainNow() {
    List<ChatEvent> out = new ArrayList<>();
    events.drainTo(out);
    return out;
  }

  /** Waits until the stream ends normally. */
  public void awaitComplete() {
    try {
      done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("stream did not complete within " + TIMEOUT, e);
    }
  }
}
