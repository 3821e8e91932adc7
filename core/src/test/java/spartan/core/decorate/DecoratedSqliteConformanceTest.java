package spartan.core.decorate;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import spartan.core.store.ChatStore;
import spartan.core.store.sqlite.SqliteChatStore;

/**
 * The conformance suite through the decorator on the embedded SQLite store, whose appends are
 * acknowledged from its writer thread after a batched commit: the cache must still agree.
 */
class DecoratedSqliteConformanceTest extends DecoratedConformanceTest {
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
  protected ChatStore baseStore(Path dir) {
    return SqliteChatStore.open(dir, WRITER);
  }
}
