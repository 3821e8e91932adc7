package spartan.core.service;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import spartan.core.ChatService;
import spartan.core.store.ChatStore;
import spartan.core.store.sqlite.SqliteChatStore;
import spartan.core.testing.ChatServiceConformance;

/** The conformance suite against the in-process service on the embedded SQLite store. */
class InProcessSqliteConformanceTest extends ChatServiceConformance {
  /** Runs the store's writer; idle threads end on their own, so tests do not leak threads. */
  private static final ExecutorService WRITER =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "sqlite-writer");
            t.setDaemon(true);
            return t;
          });

  @AfterAll
  static void stopWriter() {
    WRITER.shutdown();
  }

  @Override
  protected ChatStore newStore(Path dir) {
    return SqliteChatStore.open(dir, WRITER);
  }

  @Override
  protected ChatService bind(LocalChatService core) {
    return new ForwardingChatService(core);
  }
}
