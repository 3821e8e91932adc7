package spartan.client;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;

/**
 * A person at a dumb terminal, for tests: keys go in through a queue, and what the terminal prints
 * is replayed onto a screen model ({@code \r} returns to the start of the line and later text
 * overwrites), so assertions see the lines a person would see. A real terminal echoes typed keys;
 * a dumb one does not, so {@link #type} puts the typed line on the screen as the tty would.
 * Waiting is on a monitor with a timeout, never a sleep.
 */
final class Screen implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int EOF = -1;

  private final BlockingQueue<Integer> keys = new LinkedBlockingQueue<>();
  private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
  private final Object lock = new Object();
  private int cursor;
  final Terminal terminal;

  Screen() throws IOException {
    InputStream in =
        new InputStream() {
          @Override
          public int read() throws IOException {
            try {
              int b = keys.take();
              if (b == EOF) {
                keys.add(EOF); // stay at end of input
              }
              return b;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted", e);
            }
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            if (len == 0) {
              return 0;
            }
            int b = read();
            if (b == EOF) {
              return EOF;
            }
            buf[off] = (byte) b;
            int n = 1;
            Integer next;
            while (n < len && (next = keys.peek()) != null && next != EOF) {
              buf[off + n++] = (byte) (int) keys.poll();
            }
            return n;
          }

          @Override
          public int available() {
            return keys.size();
          }
        };
    OutputStream out =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (lock) {
              raw.write(b);
              lock.notifyAll();
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (lock) {
              raw.write(b, off, len);
              lock.notifyAll();
            }
          }
        };
    terminal = new DumbTerminal("test", "dumb", in, out, StandardCharsets.UTF_8);
    // As on a real tty, Ctrl-C raises SIGINT, which jline turns into UserInterruptException.
    Attributes attrs = terminal.getAttributes();
    attrs.setLocalFlag(Attributes.LocalFlag.ISIG, true);
    // Unset signal characters read as -1, which would match end of input: set them all.
    attrs.setControlChar(Attributes.ControlChar.VINTR, 3);
    attrs.setControlChar(Attributes.ControlChar.VQUIT, 28);
    attrs.setControlChar(Attributes.ControlChar.VSUSP, 26);
    attrs.setControlChar(Attributes.ControlChar.VSTATUS, 20);
    terminal.setAttributes(attrs);
  }

  /** Types a line and Enter, echoing it on the screen like a tty. */
  void type(String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (lock) {
      raw.write(bytes, 0, bytes.length);
      lock.notifyAll();
    }
    for (byte b : bytes) {
      keys.add(b & 0xff);
    }
  }

  /** Types a secret and Enter; a masked read shows no text, only the line ending. */
  void typeSecret(String secret) {
    synchronized (lock) {
      raw.write('\n');
      lock.notifyAll();
    }
    keys(secret + "\n");
  }

  /** The raw output with control characters made visible, for debugging a failed wait. */
  String rawEscaped() {
    synchronized (lock) {
      return raw.toString(StandardCharsets.UTF_8).replace("\r", "\\r").replace("\n", "\\n\n");
    }
  }

  /** Sends raw keys without echo (e.g. Ctrl-C as {@code "\u0003"}). */
  void keys(String s) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      keys.add(b & 0xff);
    }
  }

  /** Ends the input, as Ctrl-D at an empty prompt does. */
  void endInput() {
    keys.add(EOF);
  }

  /** The finished lines on screen (trailing spaces dropped). */
  List<String> lines() {
    return model().lines;
  }

  /** The line being written now, e.g. a prompt. */
  String current() {
    return model().current;
  }

  /** Waits for the next finished line (after those already awaited) equal to {@code expected}. */
  void awaitLine(String expected) {
    awaitLineMatching(l -> l.equals(expected), expected);
  }

  /** Waits for the next finished line matching; returns it and moves past it. */
  String awaitLineMatching(Predicate<String> p, String what) {
    return await(
        "a line " + what,
        () -> {
          List<String> ls = lines();
          for (int i = cursor; i < ls.size(); i++) {
            if (p.test(ls.get(i))) {
              cursor = i + 1;
              return ls.get(i);
            }
          }
          return null;
        });
  }

  /** Waits until some prompt (a line ending in ':' or '>') is waiting for input. */
  void awaitAnyPrompt() {
    await(
        "a prompt",
        () -> {
          String c = current();
          return c.endsWith(":") || c.endsWith(">") ? c : null;
        });
  }

  /** Waits until the line being written is exactly {@code prompt} (trailing spaces ignored). */
  void awaitPrompt(String prompt) {
    await(
        "the prompt '" + prompt + "'",
        () -> current().equals(prompt.stripTrailing()) ? prompt : null);
  }

  private <T> T await(String what, java.util.function.Supplier<T> probe) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    synchronized (lock) {
      while (true) {
        T t = probe.get();
        if (t != null) {
          return t;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("waited " + TIMEOUT + " for " + what + "; the screen shows:\n" + dump()
              + "\nraw:\n" + rawEscaped());
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
    }
  }

  /** Everything on screen, one line per line, the current line last. */
  String dump() {
    Model m = model();
    return String.join("\n", m.lines) + "\n" + m.current + "▮";
  }

  private record Model(List<String> lines, String current) {}

  private Model model() {
    String text;
    synchronized (lock) {
      text = raw.toString(StandardCharsets.UTF_8);
    }
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    int col = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        lines.add(line.toString().stripTrailing());
        line.setLength(0);
        col = 0;
      } else if (c == '\r') {
        col = 0;
      } else if (c == 0x07) {
        // bell: nothing on screen
      } else {
        if (col < line.length()) {
          line.setCharAt(col, c);
        } else {
          line.append(c);
        }
        col++;
      }
    }
    return new Model(lines, line.toString().stripTrailing());
  }

  @Override
  public void close() throws IOException {
    endInput();
    terminal.close();
  }
}
