package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import spartan.core.Account;
import spartan.core.Names;
import spartan.core.Page;
import spartan.core.Session;
import spartan.core.service.LocalChatService;
import spartan.core.store.ForwardingChatStore;
import spartan.core.store.MemoryChatStore;
import spartan.core.spi.TransportOptions;

/**
 * A store may end an account page early, with a cursor and no accounts (the redis store bounds
 * the names one page looks at); over gRPC, where the cursor rides on a page's last entry, such a
 * page must still carry its cursor, or the client takes it for the end of the listing.
 */
class EarlyStoppedListingTest {
  private final ExecutorService blocking = Executors.newCachedThreadPool();
  private final ExecutorService delivery = Executors.newCachedThreadPool();
  private final MemoryChatStore memory = new MemoryChatStore();
  private LocalChatService core;
  private GrpcServer server;
  private GrpcClient client;

  /** Looks at two names per page, as a store with a scan budget of two would. */
  private static final class TwoNamesAPage extends ForwardingChatStore {
    TwoNamesAPage(MemoryChatStore target) {
      super(target);
    }

    @Override
    public AccountPage accountPage(String glob, String after, int limit) {
      List<String> looked = target.listAccounts("*", after, 2);
      List<String> matching =
          looked.stream().filter(n -> Names.globMatches(glob, n)).limit(limit).toList();
      return new AccountPage(matching, looked.size() == 2 ? looked.get(1) : null);
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
    core.close();
    blocking.shutdownNow();
    delivery.shutdownNow();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aPageThatStoppedEarlyWithNoAccountsStillCarriesItsCursor() throws Exception {
    core =
        LocalChatService.builder()
            .store(new TwoNamesAPage(memory))
            .deliveryExecutor(delivery)
            .build();
    for (String u : List.of("alice", "u1", "u2", "u3", "u4", "zz1")) {
      core.createAccount(u, null);
    }
    String name = InProcessServerBuilder.generateName();
    server = GrpcServer.inProcess(core, name, blocking, TransportOptions.DEFAULT_MAX_FRAME_BYTES);
    client =
        new GrpcClient(
            InProcessChannelBuilder.forName(name)
                .maxInboundMessageSize(TransportOptions.DEFAULT_MAX_FRAME_BYTES)
                .build());
    Session alice = client.login("alice", null);

    Page<Account> page = alice.listAccounts("zz*", null, 10);
    assertThat(page.items()).isEmpty();
    assertThat(page.next()).isEqualTo("u1");
    List<String> found = new ArrayList<>();
    while (true) {
      page.items().forEach(a -> found.add(a.user()));
      if (page.next() == null) {
        break;
      }
      page = alice.listAccounts("zz*", page.next(), 10);
    }
    assertThat(found).containsExactly("zz1");
  }
}
