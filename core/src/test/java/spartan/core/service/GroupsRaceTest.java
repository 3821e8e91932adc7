package spartan.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import spartan.core.ChatException;
import spartan.core.ErrorCode;
import spartan.core.GroupMember;
import spartan.core.GroupPolicy;
import spartan.core.GroupRole;
import spartan.core.Session;
import spartan.core.store.ChatStore;
import spartan.core.store.ForwardingChatStore;
import spartan.core.store.MemoryChatStore;

/**
 * Group changes that race: a second change is started at the worst moment, after the first one
 * has passed its permission check and before it writes. Whether the second one then waits (the
 * fix) or goes through (the bug) is read from its thread's state, so nothing sleeps.
 */
class GroupsRaceTest {

  /**
   * A store that, once armed, runs {@code racer} in a new thread when the first {@code
   * removeMember}/{@code setRole} of {@code victim} arrives, and lets that write go ahead only
   * when the racer has finished or is parked waiting.
   */
  private static final class RacingStore extends ForwardingChatStore {
    final AtomicBoolean armed = new AtomicBoolean();
    volatile String victim;
    volatile Runnable racer;

    RacingStore(ChatStore target) {
      super(target);
    }

    private void race(String user) {
      if (user.equals(victim) && armed.compareAndSet(true, false)) {
        Thread t = new Thread(racer, "racer");
        t.start();
        await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(1))
            .until(
                () ->
                    t.getState() == Thread.State.WAITING
                        || t.getState() == Thread.State.TERMINATED);
      }
    }

    @Override
    public boolean removeMember(String group, String user) {
      race(user);
      return super.removeMember(group, user);
    }

    @Override
    public List<String> invite(
        String group, List<String> users, String by, Instant at, int maxGroupSize) {
      race(by);
      return super.invite(group, users, by, at, maxGroupSize);
    }

    @Override
    public boolean setRole(String group, String user, GroupRole role) {
      race(user);
      return super.setRole(group, user, role);
    }
  }

  private static ErrorCode codeOf(Runnable call) {
    try {
      call.run();
      return null;
    } catch (ChatException e) {
      return e.code();
    }
  }

  /** alice and bob own team, chad is a member; {@code test} gets the three sessions. */
  private static void withTeam(RacingStore store, Consumer<Session[]> test) {
    try (LocalChatService core =
        LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build()) {
      for (String u : List.of("alice", "bob", "chad")) {
        core.createAccount(u, null);
      }
      Session alice = core.login("alice", null);
      Session bob = core.login("bob", null);
      Session chad = core.login("chad", null);
      alice.createGroup("team", List.of("bob", "chad"));
      bob.joinGroup("team");
      chad.joinGroup("team");
      alice.setRole("team", "bob", GroupRole.OWNER);
      test.accept(new Session[] {alice, bob, chad});
    }
  }

  @Test
  void twoOwnersLeavingAtOnceCannotLeaveTheGroupWithoutAnOwner() {
    RacingStore store = new RacingStore(new MemoryChatStore());
    withTeam(
        store,
        s -> {
          CompletableFuture<ErrorCode> bobLeft = new CompletableFuture<>();
          store.victim = "alice";
          store.racer = () -> bobLeft.complete(codeOf(() -> s[1].leaveGroup("team")));
          store.armed.set(true);
          s[0].leaveGroup("team");
          assertThat(bobLeft)
              .succeedsWithin(10, TimeUnit.SECONDS)
              .isEqualTo(ErrorCode.PERMISSION_DENIED);
          assertThat(s[2].groupInfo("team").roster())
              .containsExactly(
                  new GroupMember("bob", GroupRole.OWNER),
                  new GroupMember("chad", GroupRole.MEMBER));
        });
  }

  @Test
  void twoOwnersDemotingEachOtherAtOnceLeaveOneOwner() {
    RacingStore store = new RacingStore(new MemoryChatStore());
    withTeam(
        store,
        s -> {
          CompletableFuture<ErrorCode> bobDemoted = new CompletableFuture<>();
          store.victim = "bob";
          store.racer =
              () ->
                  bobDemoted.complete(
                      codeOf(() -> s[1].setRole("team", "alice", GroupRole.MEMBER)));
          store.armed.set(true);
          s[0].setRole("team", "bob", GroupRole.MEMBER);
          assertThat(bobDemoted)
              .succeedsWithin(10, TimeUnit.SECONDS)
              .isEqualTo(ErrorCode.PERMISSION_DENIED);
          assertThat(s[2].groupInfo("team").roster())
              .containsExactly(
                  new GroupMember("alice", GroupRole.OWNER),
                  new GroupMember("bob", GroupRole.MEMBER),
                  new GroupMember("chad", GroupRole.MEMBER));
        });
  }

  @Test
  void aRemovedAdminCannotRemoveAnyoneAfterwards() {
    RacingStore store = new RacingStore(new MemoryChatStore());
    withTeam(
        store,
        s -> {
          s[0].setRole("team", "bob", GroupRole.ADMIN);
          CompletableFuture<ErrorCode> bobKicked = new CompletableFuture<>();
          store.victim = "bob";
          store.racer = () -> bobKicked.complete(codeOf(() -> s[1].removeMember("team", "chad")));
          store.armed.set(true);
          s[0].removeMember("team", "bob");
          assertThat(bobKicked)
              .succeedsWithin(10, TimeUnit.SECONDS)
              .isEqualTo(ErrorCode.PERMISSION_DENIED);
          assertThat(s[2].groupInfo("team").members()).containsExactly("alice", "chad");
        });
  }

  @Test
  void aPublicGroupWhoseInvitationsFailIsNotLeftWithoutAnOwner() {
    RacingStore store = new RacingStore(new MemoryChatStore());
    try (LocalChatService core =
        LocalChatService.builder().store(store).deliveryExecutor(Runnable::run).build()) {
      for (String u : List.of("alice", "bob", "eve")) {
        core.createAccount(u, null);
      }
      // bob's invitations are full, so alice's create-with-invitation will fail and roll back
      for (int i = 0; i < spartan.core.Limits.MAX_PENDING_INVITES; i++) {
        String by = "spammer" + i % 20;
        if (i < 20) {
          core.createAccount(by, null);
        }
        core.login(by, null).createGroup("g" + i, List.of("bob"));
      }
      Session alice = core.login("alice", null);
      Session eve = core.login("eve", null);
      CompletableFuture<ErrorCode> eveJoined = new CompletableFuture<>();
      store.victim = "alice";
      store.racer = () -> eveJoined.complete(codeOf(() -> eve.joinGroup("open")));
      store.armed.set(true);
      ErrorCode created =
          codeOf(() -> alice.createGroup("open", List.of("bob"), GroupPolicy.PUBLIC));
      assertThat(created).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      // eve joined nothing, or found no group: never a group left with her and no owner
      assertThat(eveJoined).succeedsWithin(10, TimeUnit.SECONDS).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(codeOf(() -> eve.groupInfo("open"))).isEqualTo(ErrorCode.NOT_FOUND);
    }
  }
}
