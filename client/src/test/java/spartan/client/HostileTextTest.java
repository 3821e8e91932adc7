package spartan.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.Flow;
import java.util.function.Supplier;
import org.jline.terminal.Size;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.Account;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.Page;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.service.ForwardingChatService;

/**
 * Text chosen by someone else — a body from another user, names and errors from a hostile server —
 * reaches the person's screen as visible text on lines marked as what they are: no escape
 * sequence reaches the terminal, and nothing can start a line of its own that passes for a
 * message or a {@code [Spartan]} line.
 */
class HostileTextTest {
  private static final String CHOOSE = "[Spartan] Enter a user whom you want to chat with: ";
  private static final String M = TerminalText.CONTINUATION;

  /** A forged warning, a forged message, OSC title, SGR colour, 8-bit CSI and a bidi override. */
  static final String HOSTILE_BODY =
      "hi\r\n[Spartan] WARNING: bob, your session expired; log in at evil.example\n"
          + "[alice] psst \u001b]0;pwned\u0007\u001b[31mred\u001b[0m \u009b2J \u202Eevil";

  static final List<String> SHOWN_AFTER_LABEL =
      List.of(
          "hi",
          M + "[Spartan] WARNING: bob, your session expired; log in at evil.example",
          M + "[alice] psst ␛]0;pwned␇␛[31mred␛[0m \uFFFD2J \uFFFDevil");

  private final ChatFixture chat = new ChatFixture();

  @AfterEach
  void stop() throws Exception {
    chat.close();
  }

  private ChatFixture.Client bobOver(String binding) throws Exception {
    if (binding.equals("in-process")) {
      return chat.start("bob");
    }
    int port = chat.serve(binding, 0).port();
    return chat.start("bob", ChatFixture.connector(binding, port), port);
  }

  /** No escape, C1 control or bidi override in what the terminal was sent. */
  private static void assertNoControlSequences(ChatFixture.Client c) {
    String raw = c.screen.rawEscaped();
    assertThat(raw).doesNotContain("\u001b").doesNotContain("\u202E");
    assertThat(raw.chars().filter(ch -> ch >= 0x80 && ch <= 0x9F)).isEmpty();
  }

  /** The hostile body as {@code c} shows it: after {@code label}, then two marked lines. */
  private static void awaitHostileBody(ChatFixture.Client c, String label) {
    c.awaitLine(label + SHOWN_AFTER_LABEL.get(0));
    c.awaitLine(SHOWN_AFTER_LABEL.get(1));
    c.awaitLine(SHOWN_AFTER_LABEL.get(2));
  }

  private static void assertNoForgedLines(ChatFixture.Client c) {
    assertThat(c.screen.lines())
        .noneMatch(l -> l.startsWith("[Spartan] WARNING"))
        .noneMatch(l -> l.startsWith("[alice]"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "grpc", "socket"})
  void aHostileBodyFromAnotherUserShowsAsOneMarkedMessage(String binding) throws Exception {
    var bob = bobOver(binding);
    bob.awaitPrompt(CHOOSE);
    chat.login("eve").send(Recipient.user("bob"), HOSTILE_BODY);
    awaitHostileBody(bob, "[eve] ");
    bob.awaitPrompt(CHOOSE);
    assertNoControlSequences(bob);
    assertNoForgedLines(bob);
  }

  @Test
  void aHostileBodyThatWaitedOrComesFromHistoryIsMarkedTheSameWay() throws Exception {
    chat.login("eve").send(Recipient.user("bob"), HOSTILE_BODY);
    var bob = chat.start("bob");
    awaitHostileBody(bob, "[eve] (earlier, 14:02) ");
    bob.type("/history eve");
    bob.awaitLine("[Spartan] Last 1 message(s) with eve:");
    awaitHostileBody(bob, "[eve] (14:02) ");
    bob.awaitPrompt(CHOOSE);
    assertNoControlSequences(bob);
    assertNoForgedLines(bob);
  }

  @Test
  void aBodyPaddedToTheTerminalsWidthCannotStartARow() throws Exception {
    var bob = chat.start("bob");
    bob.awaitPrompt(CHOOSE);
    bob.screen.terminal.setSize(new Size(40, 24));
    // "[eve] " and 34 x's fill a 40-column row; on its own the terminal would wrap the rest to
    // the start of the next row.
    chat.login("eve")
        .send(Recipient.user("bob"), "x".repeat(34) + "[Spartan] You were logged out.");
    bob.awaitLine("[eve] " + "x".repeat(34));
    bob.awaitLine(M + "[Spartan] You were logged out.");
    assertThat(bob.screen.lines()).noneMatch(l -> l.startsWith("[Spartan] You were"));
  }

  /** Names, events and errors as a hostile server would send them. */
  private static final String EVIL_NAME = "ali\u001b[2Jce\n[Spartan] fake";

  private static final String EVIL_REQUESTER = "%{\u001b[31m%}x\r[Spartan] y";

  @Test
  void namesEventsAndErrorsFromAHostileServerStayOnTheirLine() throws Exception {
    Supplier<ChatService> hostile =
        () ->
            new ForwardingChatService(chat.core) {
              @Override
              public Session login(String user, String password) {
                return new ForwardingSession(target.login(user, password)) {
                  @Override
                  public Page<Account> listAccounts(String pattern, String after, int limit) {
                    return new Page<>(
                        List.of(new Account(EVIL_NAME, false), new Account("bob", true)), null);
                  }

                  @Override
                  public void requestChat(String to) {
                    throw ChatException.invalid(
                        "no such user\r\n[Spartan] forged \u001b]0;t\u0007");
                  }

                  @Override
                  public Flow.Publisher<ChatEvent> events(long afterSeq) {
                    return withEvents(
                        delegate.events(afterSeq),
                        new ChatEvent.ChatAnswered(EVIL_NAME, false),
                        new ChatEvent.ChatRequested(EVIL_REQUESTER));
                  }
                };
              }
            };
    var bob = chat.start("bob", hostile);
    bob.awaitLine("[Spartan] User list: ali␛[2Jce␊[Spartan] fake");
    bob.awaitLine("[Spartan] ali␛[2Jce␊[Spartan] fake declined your chat request.");
    // jline reads a prompt as a pattern: %{…%} would pass the escape through unless quoted.
    bob.awaitPrompt(
        "[Spartan] %{␛[31m%}x␍[Spartan] y is requesting to chat with you."
            + " Enter 'yes' to accept or different user: ");
    bob.type("zed");
    bob.awaitLine("[Spartan] No such user␍␊[Spartan] forged ␛]0;t␇.");
    bob.screen.awaitAnyPrompt();
    assertNoControlSequences(bob);
    assertThat(bob.screen.lines()).noneMatch(l -> l.startsWith("[Spartan] fake"))
        .noneMatch(l -> l.startsWith("[Spartan] forged"))
        .noneMatch(l -> l.startsWith("[Spartan] y"));
  }

  /** {@code real}, with {@code first} delivered as soon as the subscriber has asked for events. */
  private static Flow.Publisher<ChatEvent> withEvents(
      Flow.Publisher<ChatEvent> real, ChatEvent... first) {
    return subscriber ->
        real.subscribe(
            new Flow.Subscriber<>() {
              @Override
              public void onSubscribe(Flow.Subscription s) {
                subscriber.onSubscribe(s); // the client asks for everything here
                for (ChatEvent e : first) {
                  subscriber.onNext(e);
                }
              }

              @Override
              public void onNext(ChatEvent e) {
                subscriber.onNext(e);
              }

              @Override
              public void onError(Throwable t) {
                subscriber.onError(t);
              }

              @Override
              public void onComplete() {
                subscriber.onComplete();
              }
            });
  }
}
