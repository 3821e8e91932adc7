package spartan.core.service;

import java.time.Instant;
import java.util.concurrent.Flow;
import spartan.core.ChatEvent;
import spartan.core.spi.ChatMetrics;

/**
 * Tells {@link ChatMetrics} about each message an event stream hands its subscriber, and passes
 * every signal on unchanged. A message stored before the stream opened is backlog (its age is the
 * recipient's absence), one stored after it is a live delivery (its age is the delivery lag).
 */
final class MeteredSubscriber implements Flow.Subscriber<ChatEvent> {
  private final Flow.Subscriber<? super ChatEvent> target;
  private final ChatMetrics metrics;
  private final Instant opened;

  private MeteredSubscriber(
      Flow.Subscriber<? super ChatEvent> target, ChatMetrics metrics, Instant opened) {
    this.target = target;
    this.metrics = metrics;
    this.opened = opened;
  }

  /** {@code target}, metered unless {@code metrics} is {@link ChatMetrics#NONE}. */
  static Flow.Subscriber<? super ChatEvent> wrap(
      Flow.Subscriber<? super ChatEvent> target, ChatMetrics metrics, Instant opened) {
    return metrics == ChatMetrics.NONE ? target : new MeteredSubscriber(target, metrics, opened);
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    target.onSubscribe(subscription);
  }

  @Override
  public void onNext(ChatEvent event) {
    if (event instanceof ChatEvent.MessageReceived m) {
      Instant sentAt = m.delivery().message().sentAt();
      metrics.messageDelivered(sentAt, sentAt.isBefore(opened));
    }
    target.onNext(event);
  }

  @Override
  public void onError(Throwable error) {
    target.onError(error);
  }

  @Override
  public void onComplete() {
    target.onComplete();
  }
}
