package spartan.client;

import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.LineReaderImpl;
import org.jline.terminal.Terminal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Delivery;
import spartan.core.ErrorCode;
import spartan.core.Session;

/**
 * The read-eval-print loop: reads lines from any jline {@link Terminal}, talks to any {@link
 * ChatService} (through the connector it is given), and shows events above the prompt.
 *
 * <p>Modes: the numbered menu, choosing whom to chat with, answering a chat request, and chatting.
 * {@link #run} runs on one thread; events arrive on others and only print or nudge the prompt.
 */
public final class Repl {
  private static final Logger log = LoggerFactory.getLogger(Repl.class);
  private static final String SYNC_PROMPT = "spartan-sync-prompt";

  /** What the line being read answers. */
  enum Kind {
    MENU,
    CHOOSE_PEER,
    ANSWER,
    CHAT,
    QUESTION
  }

  /** A prompt as shown; {@code from} is the requester for {@link Kind#ANSWER}. */
  record Prompt(Kind kind, String text, String from) {}

  final Terminal terminal;
  final LineReaderImpl reader;
  final Printer printer;
  final Messenger messenger;
  final Encryption encryption;
  final Connection connection;
  final Commands commands;

  /** Mode, peer, chat requests, completion names: what commands change. */
  final ReplState state = new ReplState();
  /** The prompt on screen; changed only by the reading thread or inside a jline widget. */
  private volatile Prompt shown;

  /**
   * Builds a REPL.
   *
   * @param terminal where to read and print; the caller owns and closes it
   * @param connector opens the chat service (called again after a lost connection)
   * @param port the server port, for the greeting line
   * @param scheduler runs acks and reconnect timers; the caller owns it
   * @param zone the zone for message times
   * @param keys where the user's identity and key pins live; null turns end-to-end encryption
   *     off ({@code --no-e2e}): messages go out as plain text and sealed ones are not opened
   */
  public Repl(
      Terminal terminal,
      Supplier<ChatService> connector,
      int port,
      ScheduledExecutorService scheduler,
      ZoneId zone,
      Encryption.KeyFiles keys) {
    this(terminal, Dialer.fixed(connector, port), scheduler, zone, keys);
  }

  /** A REPL that connects, and fails over, to the servers {@code dialer} knows. */
  Repl(
      Terminal terminal,
      Dialer dialer,
      ScheduledExecutorService scheduler,
      ZoneId zone,
      Encryption.KeyFiles keys) {
    this.terminal = Objects.requireNonNull(terminal, "terminal");
    this.printer = new Printer(terminal);
    // The connection is made below; the session is read only once logged in.
    this.encryption = new Encryption(keys, keys != null, this::session, printer);
    this.messenger = new Messenger(zone, encryption, printer);
    this.connection = new Connection(dialer, scheduler, Clock.systemUTC(), new Events());
    this.commands =
        new Commands(state, connection, printer, messenger, encryption, new LineQuestions());
    this.reader =
        (LineReaderImpl)
            LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("spartan")
                .completer(new NameCompleter(state))
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.AUTO_FRESH_LINE, true)
                .build();
    reader.getWidgets().put(SYNC_PROMPT, () -> syncPrompt(true));
    // At the start of a read jline has not drawn the prompt yet: only swap it.
    reader.getWidgets().put(LineReader.CALLBACK_INIT, () -> syncPrompt(false));
    this.printer.attach(reader);
  }

  /** Whether a TLS handshake failed (the connectors put the JDK's exception in the causes). */
  private static boolean tlsFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs until the person quits. With a {@code user}, connects and logs in as them (asking for the
   * password if the server wants one) and asks whom to chat with; without, shows the menu.
   *
   * @return the process exit status: 0 after a normal quit, 1 if the server cannot be reached
   */
  public int run(String user) {
    try {
      connection.service().authMode();
    } catch (ChatException e) {
      List<String> tried = connection.endpointLabels();
      log.warn("cannot reach the server at {}: {}", tried, e.getMessage());
      if (e.code() == ErrorCode.UNAVAILABLE && tlsFailure(e)) {
        printer.error(e); // the connector says what is wrong with the certificate, and what to do
      } else if (e.code() == ErrorCode.UNAVAILABLE && tried.isEmpty()) {
        // The transport's own wording ("Io exception") helps nobody.
        printer.cannotReach(connection.endpointPort());
      } else if (e.code() == ErrorCode.UNAVAILABLE) {
        printer.cannotReach(tried);
      } else {
        printer.error(e);
      }
      return 1;
    }
    printer.connected(connection.endpoint().port());
    // Choosing already, so a chat request waiting at login becomes the question to answer.
    state.choosePeer();
    try {
      if (user == null || !commands.login(user, false)) {
        state.toMenu();
        commands.showMenu();
      }
    } catch (EndOfFileException e) {
      freshLine();
      commands.quit(); // Ctrl-D at the password prompt
    }
    while (!state.quitting()) {
      Prompt p = prompt();
      String line;
      try {
        line = read(p);
      } catch (UserInterruptException e) {
        freshLine();
        continue; // Ctrl-C: drop the line, keep going
      } catch (EndOfFileException e) {
        freshLine();
        commands.quit(); // Ctrl-D: log out cleanly
        break;
      }
      try {
        handle(shown, line.strip());
      } catch (EndOfFileException e) {
        freshLine();
        commands.quit(); // Ctrl-D at a question inside a command
        break;
      } catch (ChatException e) {
        error(e);
      } catch (RuntimeException e) {
        log.error("command failed", e);
        printer.info("Something went wrong (details in the log).");
      }
    }
    connection.close();
    return 0;
  }

  // ---- prompts ----------------------------------------------------------------------------------

  private Prompt prompt() {
    return switch (state.mode()) {
      case MENU -> new Prompt(Kind.MENU, Printer.menuPrompt(Commands.MENU_MAX), null);
      case CHOOSE_PEER -> desiredChoosePrompt();
      case CHAT -> new Prompt(Kind.CHAT, Printer.chatPrompt(connection.user()), null);
    };
  }

  private Prompt desiredChoosePrompt() {
    String from = state.oldestRequest();
    return from == null
        ? new Prompt(Kind.CHOOSE_PEER, Printer.choosePeerPrompt(), null)
        : new Prompt(Kind.ANSWER, Printer.answerPrompt(from), from);
  }

  /** Reads one line with prompt {@code p}; {@link #shown} says what it finally answered. */
  private String read(Prompt p) {
    shown = p;
    return reader.readLine(p.text());
  }

  /** The questions commands ask, read at this REPL's prompt. */
  private final class LineQuestions implements Commands.Questions {
    @Override
    public String ask(String question) {
      return Repl.this.ask(question);
    }

    @Override
    public String askSecret(String question) {
      return Repl.this.askSecret(question);
    }
  }

  /** Asks a question and returns the stripped answer; null on Ctrl-C. */
  private String ask(String question) {
    try {
      shown = new Prompt(Kind.QUESTION, Printer.ask(question), null);
      return reader.readLine(shown.text()).strip();
    } catch (UserInterruptException e) {
      return null;
    } finally {
      shown = null;
    }
  }

  /** Asks for a secret, echoing '*', kept out of the history. */
  private String askSecret(String question) {
    Object before = reader.getVariable(LineReader.DISABLE_HISTORY);
    reader.setVariable(LineReader.DISABLE_HISTORY, true);
    try {
      shown = new Prompt(Kind.QUESTION, Printer.ask(question), null);
      // On a dumb terminal jline masks by redrawing the prompt from a thread that, in 3.30,
      // outlives the read and keeps overwriting the screen; a dumb terminal does not echo the
      // keys jline reads anyway, so read plainly there.
      return dumb() ? reader.readLine(shown.text()) : reader.readLine(shown.text(), '*');
    } catch (UserInterruptException e) {
      return null;
    } finally {
      shown = null;
      reader.setVariable(LineReader.DISABLE_HISTORY, before == null ? false : before);
    }
  }

  /** A full terminal ends an interrupted read with a new line itself; a dumb one does not. */
  private void freshLine() {
    if (dumb()) {
      terminal.writer().println();
      terminal.writer().flush();
    }
  }

  private boolean dumb() {
    return terminal.getType().startsWith(Terminal.TYPE_DUMB);
  }

  /**
   * Runs inside jline (at the start of each read, or when nudged by an event): while choosing a
   * peer, a waiting chat request replaces the prompt with the question to answer it.
   */
  private boolean syncPrompt(boolean redraw) {
    Prompt p = shown;
    if (p == null || (p.kind() != Kind.CHOOSE_PEER && p.kind() != Kind.ANSWER)) {
      return true;
    }
    Prompt want = desiredChoosePrompt();
    if (!want.equals(p)) {
      shown = want;
      reader.setPrompt(want.text());
      if (redraw) {
        reader.callWidget(LineReader.REDRAW_LINE);
        reader.callWidget(LineReader.REDISPLAY);
      }
    }
    return true;
  }

  private void nudgePrompt() {
    try {
      if (reader.isReading()) {
        reader.callWidget(SYNC_PROMPT);
      }
    } catch (IllegalStateException e) {
      // The read ended meanwhile; the next read syncs its prompt at start.
    }
  }

  // ---- lines ------------------------------------------------------------------------------------

  private void handle(Prompt p, String line) {
    switch (p.kind()) {
      case MENU -> {
        if (line.startsWith("/")) {
          commands.slash(line);
        } else {
          commands.menuChoice(line);
        }
      }
      case CHOOSE_PEER -> {
        if (line.isEmpty()) {
          printer.hint("Type a user name from the list, or /help.");
        } else if (line.startsWith("/")) {
          commands.slash(line);
        } else {
          commands.startChat(line);
        }
      }
      case ANSWER -> commands.answer(p.from(), line);
      case CHAT -> {
        if (line.startsWith("//")) {
          commands.send(state.peer(), line.substring(1)); // a message that starts with a slash
        } else if (line.startsWith("/")) {
          commands.slash(line);
        } else if (!line.isEmpty()) {
          commands.send(state.peer(), line);
        }
      }
      case QUESTION -> {
        // answered inside the command that asked
      }
    }
  }

  private Session session() {
    return connection.session();
  }

  void error(ChatException e) {
    if (connection.failed(e)) {
      printer.notDoneUnreachable();
      return;
    }
    if (e.code() == ErrorCode.UNAUTHENTICATED && !connection.loggedIn()) {
      printer.notLoggedIn();
      return;
    }
    printer.error(e);
  }

  /** Reacts to the event stream. Runs on transport and scheduler threads. */
  private final class Events implements Connection.Listener {
    @Override
    public void onMessage(Delivery d, boolean earlier) {
      if (!messenger.firstSight(d.message())) {
        log.info("message {} repeats an earlier one (same sender and client id)", d.message().id());
        return;
      }
      printer.line(earlier ? messenger.earlier(d.message()) : messenger.live(d.message()));
    }

    @Override
    public void onChatRequested(String from) {
      state.requested(from);
      Prompt p = shown;
      // While choosing (or about to), the request becomes the prompt; a question being asked
      // is left alone and the request waits for the next prompt.
      if (state.mode() == ReplState.Mode.CHOOSE_PEER && (p == null || p.kind() != Kind.QUESTION)) {
        nudgePrompt();
      } else {
        printer.requestWhileBusy(from);
      }
    }

    @Override
    public void onChatAnswered(String from, boolean accepted) {
      printer.requestAnswered(from, accepted);
    }

    @Override
    public void onGroupEvent(ChatEvent.GroupEvent event) {
      commands.groups.onEvent(event, connection.user());
    }

    @Override
    public void onConnectionLost(String lost) {
      printer.lostConnection(lost);
    }

    @Override
    public void onNoServerAnswers(List<String> tried) {
      printer.noServerAnswers(tried);
    }

    @Override
    public void onReconnected(String lost, String now, boolean announced) {
      printer.reconnected(lost, now, announced);
      encryption.resumed();
    }

    @Override
    public void onDataReset(String now) {
      printer.dataReset(now);
      encryption.resumed(); // the published keys went with the data
    }

    @Override
    public void onSessionEnded(String why) {
      printer.sessionEnded(why);
    }
  }
}
