package spartan.core.store.sqlite;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import spartan.core.MessageBody;
import spartan.core.Recipient;
import spartan.core.store.ChatStore.Draft;

/**
 * The child process of {@link SqliteKillRecoveryTest}: opens the store in {@code args[0]},
 * creates alice, bob, carol and the group team, prints {@code ready}, then appends as fast as the
 * store takes them until it is killed, printing {@code ack <id>} for each message only after its
 * future completed. Every printed id is therefore a message the store acknowledged.
 */
final class AppendUntilKilled {
  static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  static final int IN_FLIGHT = 256;

  private AppendUntilKilled() {}

  public static void main(String[] args) throws InterruptedException {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    SqliteChatStore store = SqliteChatStore.open(Path.of(args[0]), writer);
    for (String user : List.of("alice", "bob", "carol")) {
      store.createAccount(user, null, T);
    }
    store.createGroup("team", "alice", spartan.core.GroupPolicy.PRIVATE, T);
    for (String user : List.of("bob", "carol")) {
      store.addMember("team", user, spartan.core.GroupRole.MEMBER, 0);
    }
    System.out.println("ready");
    Semaphore window = new Semaphore(IN_FLIGHT);
    for (long i = 0; ; i++) {
      window.acquire();
      Draft d =
          i % 10 == 0
              ? new Draft("alice", Recipient.group("team"), MessageBody.text("group " + i),
                  T.plusMillis(i), "k" + i, "g:team", List.of("bob", "carol"))
              : new Draft("alice", Recipient.user("bob"), MessageBody.text("direct " + i),
                  T.plusMillis(i), "k" + i, "d:alice:bob", List.of("bob"));
      store
          .append(d)
          .whenComplete(
              (appended, error) -> {
                if (error == null) {
                  System.out.println("ack " + appended.message().id());
                } else {
                  System.out.println("failed " + error);
                }
                window.release();
              });
    }
  }
}
