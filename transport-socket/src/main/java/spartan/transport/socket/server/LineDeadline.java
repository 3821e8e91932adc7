package spartan.transport.socket.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes the door on slowloris: every line must be complete within {@code timeout} of its first
 * byte arriving. Idle connections between lines are not affected, nor are well-behaved clients that
 * pipeline many lines (each newline restarts the clock for the next line). When the deadline passes
 * it fires {@link #EXPIRED} down the pipeline for the connection handler to answer and close.
 * Netty's {@code ReadTimeoutHandler} measures silence, which a trickling peer never shows, so this
 * is written by hand; the timer runs on the channel's event loop.
 *
 * <p>While the server itself has paused reading (backpressure) the client cannot finish its line,
 * so the deadline is postponed rather than enforced.
 */
final class LineDeadline extends ChannelInboundHandlerAdapter {
  /** The user event fired when a partial line is too old. */
  static final Object EXPIRED =
      new Object() {
        @Override
        public String toString() {
          return "LineDeadline.EXPIRED";
        }
      };

  private final long timeoutNanos;
  private ScheduledFuture<?> timer;

  LineDeadline(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf && buf.isReadable()) {
      int lastNewline = buf.forEachByteDesc(ByteProcessor.FIND_LF);
      boolean partialAtEnd = buf.getByte(buf.writerIndex() - 1) != '\n';
      if (lastNewline >= 0) {
        cancel(); // a line completed: the clock restarts for whatever follows
      }
      if (partialAtEnd && timer == null) {
        schedule(ctx);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void schedule(ChannelHandlerContext ctx) {
    timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void expire(ChannelHandlerContext ctx) {
    timer = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      schedule(ctx); // we are not reading; the client cannot be blamed yet
      return;
    }
    ctx.fireUserEventTriggered(EXPIRED);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }
}
