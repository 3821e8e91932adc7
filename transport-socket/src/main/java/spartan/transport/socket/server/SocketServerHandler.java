package spartan.transport.socket.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.SendReceipt;
import spartan.core.Session;
import spartan.transport.socket.wire.Inbound;
import spartan.transport.socket.wire.Op;
import spartan.transport.socket.wire.Outbound;
import spartan.transport.socket.wire.ReplyEncoder;
import spartan.transport.socket.wire.RequestDecoder;
import spartan.transport.socket.wire.WireCodes;
import spartan.transport.socket.wire.WireJson;

/**
 * One client connection on the server: the last handler of the pipeline, after the {@link
 * RequestDecoder} and {@link ReplyEncoder}. It keeps the connection's lifecycle and schedules its
 * work: it takes decoded requests, runs each on the blocking executor, one at a time and in arrival
 * order (sends are started in order but their replies may overtake, since a send is acknowledged
 * when stored; any other op waits for earlier sends to finish, so a client reads its own writes),
 * and writes back what to say ({@link Outbound}) on the event loop; how it looks on the wire is the
 * encoder's business.
 *
 * <p>Bounds: at most {@link #MAX_QUEUED} parsed requests wait, and at most {@link #MAX_UNREPLIED}
 * are in progress or have a reply not yet written to the socket; beyond either, or while the socket
 * is not writable, the connection stops reading, so a client that floods or stops reading holds a
 * bounded amount of server memory. Every reply obeys these bounds, including the ready-made ones
 * (a line that is not JSON, an unknown op, "log in first"): they wait in the queue like requests,
 * written only while the socket is writable. One read can still hold many short lines, so a
 * connection whose unread output (written and queued) passes {@link #MAX_HELD_BYTES} is closed
 * with {@code slow_consumer}, and one that sends more than {@link #MAX_BAD_LINES_IN_A_ROW} bad
 * lines in a row is closed with {@code bad_request}.
 *
 * <p>Keep-alive: when nothing has been read for {@code keepAlive} (an {@link IdleStateEvent}) the
 * server sends a {@code ping} event; any line from the client answers it. After a second such
 * period the connection is closed with {@code idle_timeout} — unless a request of it is still in
 * progress, or the client is reading output that waits for it (then its answer may be waiting
 * behind a pause in our reading). A client that neither sends nor reads is closed either way,
 * even one whose last replies are stuck in the socket.
 *
 * <p>All fields are confined to the channel's event loop unless marked volatile.
 */
final class SocketServerHandler extends ChannelDuplexHandler implements SocketServerEventPump.Sink {
  private static final Logger log = LoggerFactory.getLogger(SocketServerHandler.class);

  static final int MAX_QUEUED = 256;
  static final int MAX_UNREPLIED = 64;

  /**
   * Output one connection may hold unread (bytes waiting for the socket, plus ready replies still
   * queued) before it is closed: above the largest single reply, so only a client that keeps
   * sending without reading reaches it.
   */
  static final long MAX_HELD_BYTES = 2L * Operations.MAX_REPLY_BYTES;

  /**
   * Lines in a row the server answers with an error without running anything (not JSON, not an
   * object, no op, unknown op) before it closes the connection: a person typing into {@code nc}
   * never gets near it, while each such line costs the server a parse (often a Jackson exception)
   * and a reply, for two bytes of input.
   */
  static final int MAX_BAD_LINES_IN_A_ROW = 100;

  /** What a queued ready reply is counted as: its fixed parts and its text. */
  private static long replyBytes(String message, JsonNode id) {
    return 64 + message.length() + (id.isTextual() ? id.textValue().length() : 20);
  }

  private final Operations operations;
  private final Executor blocking;
  private final ServerSettings settings;

  private ChannelHandlerContext ctx;
  private final ArrayDeque<Inbound> queue = new ArrayDeque<>();
  private final ArrayDeque<ChatEvent> held = new ArrayDeque<>();
  private boolean running;
  private int unreplied;
  /** Bytes of the ready replies in {@link #queue}. */
  private long queuedReplyBytes;
  private int badLinesInARow;
  /** Where the socket's output stood at the last keep-alive check (see {@link #outputMark}). */
  private long outputMarkAtPing;
  private int sendsPending;
  private boolean closing;

  /** The client half-closed: answer what was read, then close. */
  private boolean inputShutdown;

  private ScheduledFuture<?> loginDeadline;
  private volatile Session session;
  private volatile SocketServerEventPump pump;

  SocketServerHandler(Operations operations, Executor blocking, ServerSettings settings) {
    this.operations = operations;
    this.blocking = blocking;
    this.settings = settings;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      startLoginDeadline();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    startLoginDeadline();
    ctx.fireChannelActive();
  }

  private void startLoginDeadline() {
    if (loginDeadline == null) {
      loginDeadline =
          ctx.executor()
              .schedule(
                  this::loginDeadlinePassed,
                  settings.loginTimeout().toMillis(),
                  TimeUnit.MILLISECONDS);
    }
  }

  private void loginDeadlinePassed() {
    if (session == null && ctx.channel().isActive()) {
      log.debug("{}: no login within {}", ctx.channel(), settings.loginTimeout());
      fatal(
          WireCodes.toWire(ErrorCode.UNAUTHENTICATED),
          "Not logged in within " + seconds(settings.loginTimeout()) + "; closing.");
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    if (loginDeadline != null) {
      loginDeadline.cancel(false);
    }
    SocketServerEventPump p = pump;
    if (p != null) {
      p.cancel();
      pump = null;
    }
    clearQueue();
    held.clear();
    ctx.fireChannelInactive();
  }

  /**
   * Server shutdown: stop reading, finish what is in progress (sends are answered once stored),
   * refuse what has not started, end the event stream with a {@code stream_end} saying why, then
   * close.
   */
  void drainAndClose() {
    closing = true;
    ctx.channel().config().setAutoRead(false);
    ChatException stopping = ChatException.unavailable("The server is shutting down.");
    for (Inbound queued; (queued = queue.poll()) != null; ) {
      unreplied++;
      writeReply(
          queued instanceof Inbound.Malformed m
              ? new Outbound.ErrorReply(m.id(), m.code(), m.reason())
              : Outbound.ErrorReply.of(((Inbound.Request) queued).id(), stopping));
    }
    clearQueue();
    SocketServerEventPump p = pump;
    pump = null;
    if (p != null) {
      p.cancel();
      unreplied++; // held open until the line is out, like a reply
      writeReply(Outbound.StreamEnd.of(stopping));
    }
    closeIfIdle();
  }

  private void closeIfIdle() {
    // A half-closed connection with an event stream stays open for pushed events until the
    // grace period set when its input ended (see userEventTriggered).
    boolean done = closing || (inputShutdown && queue.isEmpty() && pump == null);
    if (done && !running && unreplied == 0 && sendsPending == 0 && ctx.channel().isOpen()) {
      ctx.close();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == LineDeadline.EXPIRED) {
      log.debug("{}: partial line not completed in time", ctx.channel());
      fatal(
          WireCodes.BAD_REQUEST,
          "Line not completed within " + seconds(settings.lineTimeout()) + "; closing.");
      return;
    }
    if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
      keepAlive(idle.isFirst());
      return;
    }
    if (evt instanceof ChannelInputShutdownEvent) {
      // e.g. `nc` at the end of its input: the replies are still wanted, and so are the events
      // a login pushes (undelivered messages), for a grace period of one line timeout.
      inputShutdown = true;
      ctx.executor()
          .schedule(
              () -> {
                closing = true;
                closeIfIdle();
              },
              settings.lineTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
      closeIfIdle();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException
        || cause.getCause() instanceof TooLongFrameException) {
      log.debug("{}: line longer than {} bytes", ctx.channel(), settings.maxLineBytes());
      fatal(
          WireCodes.FRAME_TOO_LARGE,
          "Line longer than " + settings.maxLineBytes() + " bytes; closing.");
      return;
    }
    if (cause instanceof java.io.IOException) {
      log.debug("{}: {}", ctx.channel(), cause.toString());
    } else {
      log.warn("{}: unexpected error, closing", ctx.channel(), cause);
    }
    ctx.close();
  }

  /**
   * Writes an error not tied to a request, stops reading and closes once it is out — or at once
   * if the client is not reading (the line then may never arrive), and within one line timeout
   * in any case, so a close never waits on the client.
   */
  private void fatal(String code, String message) {
    if (closing && !ctx.channel().isActive()) {
      return;
    }
    closing = true;
    clearQueue();
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(new Outbound.ErrorReply(NullNode.getInstance(), code, message))
        .addListener(ChannelFutureListener.CLOSE);
    if (!ctx.channel().isWritable()) {
      ctx.close();
    } else {
      ctx.executor()
          .schedule(
              () -> {
                ctx.close();
              },
              settings.lineTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
    }
  }

  private void clearQueue() {
    queue.clear();
    queuedReplyBytes = 0;
  }

  // ---- keep-alive -------------------------------------------------------------------------------

  /** Nothing read for one keep-alive period ({@code first}), or for one more after that. */
  private void keepAlive(boolean first) {
    if (closing) {
      return;
    }
    if (first) {
      outputMarkAtPing = outputMark();
      ctx.writeAndFlush(Outbound.PING); // 17 bytes, once a period: not counted
      return;
    }
    if (running || sendsPending > 0) {
      return; // we are busy with its requests, and may have stopped reading until done
    }
    long mark = outputMark();
    if (mark != outputMarkAtPing) {
      outputMarkAtPing = mark; // slow to read our output, but reading it: alive
      return;
    }
    log.debug("{}: nothing read for two keep-alive periods, closing", ctx.channel());
    fatal(
        WireCodes.IDLE_TIMEOUT,
        "Nothing received for " + seconds(settings.keepAlive().multipliedBy(2)) + "; closing.");
  }

  /**
   * Where the socket's unwritten output stands: the message being written and how far. It changes
   * whenever the client reads some of it (or the output drains), and not while the client is gone.
   */
  private long outputMark() {
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    if (out == null || out.current() == null) {
      return 0;
    }
    return ((long) System.identityHashCode(out.current()) << 32) ^ out.currentProgress();
  }

  /** Bytes written to the channel and not yet taken by the socket. */
  private long pendingOutput() {
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes();
  }

  // ---- requests ---------------------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      return;
    }
    Inbound item = (Inbound) msg; // the decoder passes nothing else
    if (item instanceof Inbound.Request) {
      badLinesInARow = 0;
    } else if (++badLinesInARow > MAX_BAD_LINES_IN_A_ROW) {
      log.debug("{}: {} bad lines in a row, closing", ctx.channel(), badLinesInARow);
      fatal(
          WireCodes.BAD_REQUEST,
          "More than " + MAX_BAD_LINES_IN_A_ROW + " bad lines in a row; closing.");
      return;
    }
    queue.add(item);
    if (item instanceof Inbound.Malformed m) {
      queuedReplyBytes += replyBytes(m.reason(), m.id());
      if (queuedReplyBytes + pendingOutput() > MAX_HELD_BYTES) {
        slowConsumer();
        return;
      }
    }
    processQueue();
  }

  private void slowConsumer() {
    log.debug("{}: more than {} bytes of replies unread, closing", ctx.channel(), MAX_HELD_BYTES);
    fatal(
        WireCodes.SLOW_CONSUMER,
        "More than " + (MAX_HELD_BYTES >> 20) + " MiB of replies unread; closing.");
  }

  /** Starts queued work while there is room; the single place that decides to read or not. */
  private void processQueue() {
    while (!closing && !running && !queue.isEmpty()) {
      Inbound next = queue.peek();
      if (unreplied >= MAX_UNREPLIED || !ctx.channel().isWritable()) {
        break;
      }
      if (next instanceof Inbound.Malformed m) {
        queue.poll();
        queuedReplyBytes -= replyBytes(m.reason(), m.id());
        writeReply(new Outbound.ErrorReply(m.id(), m.code(), m.reason()));
        continue;
      }
      Inbound.Request r = (Inbound.Request) next;
      if (r.op() != Op.SEND && sendsPending > 0) {
        break;
      }
      if (r.op().needsSession && session == null) {
        // Checked here, not when parsed: a login queued before it may still be running.
        queue.poll();
        String code = WireCodes.toWire(ErrorCode.UNAUTHENTICATED);
        writeReply(new Outbound.ErrorReply(r.id(), code, "Log in first (op 'login' or 'resume')."));
        continue;
      }
      if (r.op() == Op.SEND) {
        run(takeSends());
      } else {
        queue.poll();
        run(List.of(r));
      }
    }
    updateReading();
    closeIfIdle();
  }

  private void updateReading() {
    boolean read =
        !closing
            && queue.size() < MAX_QUEUED
            && unreplied < MAX_UNREPLIED
            && ctx.channel().isWritable();
    if (ctx.channel().config().isAutoRead() != read) {
      ctx.channel().config().setAutoRead(read);
    }
  }

  /**
   * The queued sends at the head of the queue, as many as the unreplied bound allows. Sends that
   * arrived together (one socket read) are started by one task on the blocking executor and
   * answered in one turn of the event loop: one thread hand-off each way per batch instead of per
   * message, which is where a busy connection's time went (see BENCHMARKS.md).
   */
  private List<Inbound.Request> takeSends() {
    List<Inbound.Request> batch = new ArrayList<>();
    while (unreplied + batch.size() < MAX_UNREPLIED
        && queue.peek() instanceof Inbound.Request next
        && next.op() == Op.SEND) {
      batch.add(next);
      queue.poll();
    }
    return batch;
  }

  /**
   * Runs {@code batch} (one request, or sends that arrived together) in one task on the blocking
   * executor, in order, and applies the outcomes in one turn of the event loop.
   */
  private void run(List<Inbound.Request> batch) {
    running = true;
    unreplied += batch.size();
    Session s = session;
    SocketServerEventPump current = pump;
    Operations.Outcome[] outcomes = new Operations.Outcome[batch.size()];
    try {
      blocking.execute(
          () -> {
            for (int i = 0; i < outcomes.length; i++) {
              outcomes[i] = runSafely(batch.get(i), s, current);
            }
            onLoop(() -> finish(batch, outcomes));
          });
    } catch (RejectedExecutionException e) {
      Arrays.fill(outcomes, shuttingDown());
      finish(batch, outcomes);
    }
  }

  private void finish(List<Inbound.Request> batch, Operations.Outcome[] outcomes) {
    running = false;
    for (int i = 0; i < outcomes.length; i++) {
      apply(batch.get(i), outcomes[i]);
    }
    processQueue();
    closeIfIdle();
  }

  private Operations.Outcome runSafely(
      Inbound.Request r, Session s, SocketServerEventPump current) {
    try {
      return operations.run(r, s, current, () -> new SocketServerEventPump(this, ctx.executor()));
    } catch (RuntimeException e) {
      log.warn("{}: op {} failed", ctx.channel(), r.op().wire, e);
      return new Operations.Failed(ChatException.wrap(e));
    }
  }

  private static Operations.Outcome shuttingDown() {
    return new Operations.Failed(ChatException.unavailable("The server is shutting down."));
  }

  /** Acts on one request's outcome: writes its reply (or arranges it) and updates the state. */
  private void apply(Inbound.Request r, Operations.Outcome outcome) {
    if (outcome instanceof Operations.Answered reply) {
      if (reply.thenClose()) {
        closing = true;
        clearQueue();
        SocketServerEventPump p = pump;
        pump = null;
        if (p != null) {
          p.cancel();
        }
        writeReply(new Outbound.Ok(r.id(), reply.result()))
            .addListener(ChannelFutureListener.CLOSE);
      } else {
        writeReply(new Outbound.Ok(r.id(), reply.result()));
      }
    } else if (outcome instanceof Operations.Failed failed) {
      writeReply(Outbound.ErrorReply.of(r.id(), failed.error()));
    } else if (outcome instanceof Operations.Attached attached) {
      if (loginDeadline != null) {
        loginDeadline.cancel(false);
      }
      session = attached.session();
      switchPump(attached.pump());
      writeReply(new Outbound.Ok(r.id(), attached.result()));
      activate(attached.pump());
    } else if (outcome instanceof Operations.Subscribed subscribed) {
      switchPump(subscribed.pump());
      writeReply(new Outbound.Ok(r.id(), WireJson.object()));
      activate(subscribed.pump());
    } else if (outcome instanceof Operations.Pending pending) {
      CompletableFuture<SendReceipt> result = pending.result();
      if (result.isDone()) {
        // Stored already (the memory store, or a fast group commit): answer in this turn.
        result.whenComplete((ok, err) -> writeSendReply(r, ok, err));
      } else {
        sendsPending++;
        result.whenComplete((ok, err) -> onLoop(() -> sendDone(r, ok, err)));
      }
    }
  }

  private void sendDone(Inbound.Request r, SendReceipt result, Throwable err) {
    sendsPending--;
    writeSendReply(r, result, err);
    processQueue();
    closeIfIdle();
  }

  private void writeSendReply(Inbound.Request r, SendReceipt receipt, Throwable err) {
    if (err != null) {
      ChatException e = ChatException.wrap(err);
      if (e.code() == ErrorCode.INTERNAL) {
        log.warn("{}: send failed", ctx.channel(), err);
      }
      writeReply(Outbound.ErrorReply.of(r.id(), e));
    } else {
      writeReply(new Outbound.Sent(r.id(), receipt));
    }
  }

  /** Writes a reply to a counted request; the count drops once the bytes reach the socket. */
  private ChannelFuture writeReply(Outbound reply) {
    return ctx.writeAndFlush(reply)
        .addListener(
            f -> {
              unreplied--;
              processQueue();
              closeIfIdle();
            });
  }

  /** Makes {@code next} the connection's stream; events of the old one are dropped from here. */
  private void switchPump(SocketServerEventPump next) {
    SocketServerEventPump previous = pump;
    if (previous != null && previous != next) {
      previous.cancel();
    }
    held.clear(); // events of the previous stream not yet written: still unacked, sent again
    pump = next;
  }

  /** Lets {@code next} ask for events; called after the reply that started it is written. */
  private void activate(SocketServerEventPump next) {
    if (next == null) {
      return;
    }
    if (closing) {
      next.cancel(); // the client went away while the login ran
      if (pump == next) {
        pump = null;
      }
      return;
    }
    next.activate();
  }

  // ---- events -----------------------------------------------------------------------------------

  @Override
  public void deliver(SocketServerEventPump from, ChatEvent e) {
    if (from != pump || closing) {
      return; // a replaced stream: its unacked events come again on the new one
    }
    if (held.isEmpty() && ctx.channel().isWritable()) {
      ctx.writeAndFlush(new Outbound.Pushed(e));
    } else {
      held.add(e);
    }
  }

  @Override
  public void ended(SocketServerEventPump from, Throwable error) {
    if (from != pump || from.isRetired() || closing) {
      return;
    }
    pump = null;
    ctx.writeAndFlush(
        error == null
            ? Outbound.StreamEnd.NORMAL
            : Outbound.StreamEnd.of(ChatException.wrap(error)));
  }

  @Override
  public boolean canTakeMore() {
    return held.isEmpty() && ctx.channel().isWritable() && !closing;
  }

  @Override
  public void cancelLater(Flow.Subscription s) {
    try {
      blocking.execute(s::cancel);
    } catch (RejectedExecutionException e) {
      s.cancel();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      while (!held.isEmpty() && ctx.channel().isWritable()) {
        ctx.write(new Outbound.Pushed(held.poll()));
      }
      ctx.flush();
      SocketServerEventPump p = pump;
      if (p != null) {
        p.refill();
      }
      processQueue();
    } else {
      updateReading();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  private void onLoop(Runnable r) {
    try {
      ctx.executor().execute(r);
    } catch (RejectedExecutionException e) {
      // The event loop is shutting down with the server; the connection goes with it.
    }
  }
}
