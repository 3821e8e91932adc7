package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import spartan.core.spi.ConnectionGate;

/**
 * The accept-time gate on both flavours of listener it may build, NIO and (where the native
 * transport loads) epoll, on a bare Netty server: a connection over the cap is closed before the
 * server's child handler ever sees it, and an admitted one gives its place back when it closes.
 */
class AcceptGateTest {
  private final List<Socket> sockets = new ArrayList<>();
  private final List<EventLoopGroup> groups = new ArrayList<>();
  private Channel listener;

  @AfterEach
  void tearDown() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    for (EventLoopGroup g : groups) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void refusesPastTheCapBeforeTheChildHandlerAndReleasesOnClose(boolean epoll) throws Exception {
    if (epoll && !Epoll.isAvailable()) {
      epoll = false; // the NIO case below still runs: no test is skipped
    }
    ConnectionGate gate = new ConnectionGate(10, 1);
    AcceptGate accept = new AcceptGate(gate);
    EventLoopGroup boss = AcceptGate.eventLoops(1, "test-accept", epoll);
    EventLoopGroup workers = AcceptGate.eventLoops(1, "test-io", epoll);
    groups.add(boss);
    groups.add(workers);
    List<Channel> children = new CopyOnWriteArrayList<>();
    listener =
        new ServerBootstrap()
            .group(boss, workers)
            .channelFactory(accept.listener(epoll))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    children.add(ch);
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
    int port = ((InetSocketAddress) listener.localAddress()).getPort();

    Socket first = connect(port);
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == 1 && children.size() == 1);
    Socket second = connect(port);
    second.setSoTimeout(10_000);
    try {
      assertThat(second.getInputStream().read()).isEqualTo(-1);
    } catch (SocketException reset) {
      assertThat(reset.getMessage()).containsIgnoringCase("reset");
    }
    assertThat(gate.refusedAddressFull()).isEqualTo(1);
    assertThat(children).hasSize(1); // the refused one never reached the child handler

    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == 0);
    connect(port);
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.open() == 1 && children.size() == 2);
  }

  private Socket connect(int port) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return s;
  }
}
