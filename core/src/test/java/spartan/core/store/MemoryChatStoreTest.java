package spartan.core.store;

import java.nio.file.Path;

/** The store contract against the in-memory store. */
class MemoryChatStoreTest extends ChatStoreContract {
  @Override
  protected ChatStore open(Path dir) {
    return new MemoryChatStore();
  }
}
