package spartan.core.store.sqlite;

import java.sql.SQLException;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;

/**
 * An append, which the writer runs together with the appends next to it in a batch ({@link
 * MessageSql#appendAll}, a few multi-row INSERTs for many messages); alone, after a failure in its
 * batch, it runs as any write.
 */
record AppendTask(Draft draft) implements SqlTask<Appended> {
  @Override
  public Appended run(Handle h) throws SQLException {
    return MessageSql.append(h, draft);
  }
}
