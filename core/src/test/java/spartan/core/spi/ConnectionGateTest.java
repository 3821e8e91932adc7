package spartan.core.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionGateTest {
  private static final InetAddress A = address(1);
  private static final InetAddress B = address(2);

  @Test
  void refusesTheConnectionPastTheCapOfOneAddressButAdmitsOthers() {
    ConnectionGate gate = new ConnectionGate(100, 2);
    assertThat(gate.tryAcquire(A)).isEqualTo(ConnectionGate.Verdict.ADMITTED);
    assertThat(gate.tryAcquire(A)).isEqualTo(ConnectionGate.Verdict.ADMITTED);
    assertThat(gate.tryAcquire(A)).isEqualTo(ConnectionGate.Verdict.ADDRESS_FULL);
    assertThat(gate.tryAcquire(B)).isEqualTo(ConnectionGate.Verdict.ADMITTED);
    assertThat(gate.open()).isEqualTo(3);
    assertThat(gate.refusedAddressFull()).isEqualTo(1);

    gate.release(A);
    assertThat(gate.tryAcquire(A)).isEqualTo(ConnectionGate.Verdict.ADMITTED);
  }

  @Test
  void refusesPastTheServerCapWhateverTheAddress() {
    ConnectionGate gate = new ConnectionGate(2, 10);
    gate.tryAcquire(A);
    gate.tryAcquire(B);
    assertThat(gate.tryAcquire(address(3))).isEqualTo(ConnectionGate.Verdict.SERVER_FULL);
    assertThat(gate.refusedServerFull()).isEqualTo(1);
    gate.release(B);
    assertThat(gate.tryAcquire(address(3))).isEqualTo(ConnectionGate.Verdict.ADMITTED);
  }

  @Test
  void concurrentAcquiresNeverOvershootEitherCap() throws Exception {
    ConnectionGate gate = new ConnectionGate(50, 30);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        InetAddress from = i % 2 == 0 ? A : B;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return gate.tryAcquire(from) == ConnectionGate.Verdict.ADMITTED;
                }));
      }
      start.countDown();
      int admitted = 0;
      for (Future<Boolean> f : results) {
        admitted += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(50);
      assertThat(gate.open()).isEqualTo(50);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void namesTheSettingWhenACapIsNotPositive() {
    assertThatThrownBy(() -> new ConnectionGate(0, 1)).hasMessageContaining("limits.maxConnections");
    assertThatThrownBy(() -> new ConnectionGate(1, 0))
        .hasMessageContaining("limits.maxConnectionsPerAddress");
  }

  private static InetAddress address(int last) {
    try {
      return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
