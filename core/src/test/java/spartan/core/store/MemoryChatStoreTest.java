package spartan.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import spartan.core.Message;
import spartan.core.MessageBody;

/** The store contract against the in-memory store, and its history bound. */
class MemoryChatStoreTest extends ChatStoreContract {
  @Override
  protected ChatStore open(Path dir) {
    return new MemoryChatStore();
  }

  @Test
  void historyKeepsTheNewestMessagesOfEachConversationAndInboxesKeepEverythingUnacked() {
    store.close();
    store = new MemoryChatStore(3);
    accounts("alice", "bob", "carol");
    for (int i = 1; i <= 5; i++) {
      append(direct("alice", "bob", MessageBody.text("ab" + i), "c" + i));
    }
    append(direct("alice", "carol", "ac1"));
    assertThat(store.history("d:alice:bob", 0, 10))
        .extracting(m -> ((MessageBody.Text) m.body()).text())
        .containsExactly("ab3", "ab4", "ab5");
    assertThat(store.history("d:alice:carol", 0, 10)).hasSize(1);
    assertThat(store.inbox("bob", 0, 10)).hasSize(5);
    // A forgotten message's clientMsgId is forgotten with it; a kept one still deduplicates.
    assertThat(append(direct("alice", "bob", MessageBody.text("again"), "c1")).duplicate())
        .isFalse();
    Message kept = store.history("d:alice:bob", 0, 10).get(1);
    assertThat(append(direct("alice", "bob", MessageBody.text("x"), kept.clientMsgId())).duplicate())
        .isTrue();
  }

  @Test
  void theHistoryBoundMustBePositive() {
    assertThatThrownBy(() -> new MemoryChatStore(0))
        .hasMessageContaining("historyPerConversation must be positive");
  }
}
