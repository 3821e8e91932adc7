package spartan.core.store.sqlite;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;

/**
 * An append, which the writer runs together with the appends next to it in a batch ({@link
 * #runAll}, one multi-row INSERT for many messages); alone, after a failure in its batch, it runs
 * as any write.
 */
record AppendTask(Draft draft) implements SqlTask<Appended> {
  @Override
  public Appended run(Handle h) throws SQLException {
    return MessageSql.append(h, draft);
  }

  /** Runs {@code tasks} in order as one; throws if any fails (the writer then runs each alone). */
  static List<Appended> runAll(Handle h, List<AppendTask> tasks) throws SQLException {
    List<Draft> drafts = new ArrayList<>(tasks.size());
    for (AppendTask t : tasks) {
      drafts.add(t.draft());
    }
    return MessageSql.appendAll(h, drafts);
  }
}
