package spartan.core.store.sqlite;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import spartan.core.Message;
import spartan.core.store.ChatStore.Appended;
import spartan.core.store.ChatStore.Draft;

/**
 * An append, which the writer runs together with the appends next to it in a batch ({@link
 * #runAll}, one multi-row INSERT for many messages); alone, after a failure in its batch, it runs
 * as any write. {@code stored} is told of each message stored (not of a duplicate), on the writer.
 */
record AppendTask(Draft draft, Consumer<Message> stored) implements SqlTask<Appended> {
  @Override
  public Appended run(Handle h) throws SQLException {
    Appended a = MessageSql.append(h, draft);
    if (!a.duplicate()) {
      stored.accept(a.message());
    }
    return a;
  }

  /** Runs {@code tasks} in order as one; throws if any fails (the writer then runs each alone). */
  static List<Appended> runAll(Handle h, List<AppendTask> tasks) throws SQLException {
    List<Draft> drafts = new ArrayList<>(tasks.size());
    for (AppendTask t : tasks) {
      drafts.add(t.draft());
    }
    List<Appended> done = MessageSql.appendAll(h, drafts);
    for (int i = 0; i < done.size(); i++) {
      if (!done.get(i).duplicate()) {
        tasks.get(i).stored().accept(done.get(i).message());
      }
    }
    return done;
  }
}
