package spartan.transport.grpc;

import java.io.IOException;
import spartan.core.ChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.spi.TransportServer;

/**
 * The {@code grpc} transport: the {@code spartan.v1.Spartan} service of {@code chat.proto} over
 * HTTP/2 (grpc-java on shaded Netty), found with {@link java.util.ServiceLoader}.
 *
 * <p>From {@link TransportOptions} it uses: {@code maxFrameBytes} as the largest gRPC message
 * either side accepts; {@code keepAlive} as the ping interval and the ping timeout on both sides
 * (grpc-java raises an interval under 10 s to 10 s), so a silent peer's calls end at most
 * interval plus timeout after its last byte; {@code blockingExecutor} for every server call into
 * the core; {@code loginTimeout} as the longest a connection may stay without a call in flight (a
 * gRPC connection carries no login state, so an idle one gets a GOAWAY and the client reconnects
 * when it next calls); {@code connections} to admit or refuse each TCP connection at accept
 * time; {@code tls}, when set, as the server's certificate ({@link
 * spartan.core.spi.Tls.Server}, asked at every handshake) or the client's trust and expected name
 * ({@link spartan.core.spi.Tls.Client}), over grpc-java's Netty TLS. {@code extra} is not used.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcTransportProvider implements TransportProvider {
  public static final String NAME = "grpc";
  public static final int DEFAULT_PORT = 3000;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int defaultPort() {
    return DEFAULT_PORT;
  }

  /**
   * Starts serving {@code service}. {@code close()} on the result is graceful: new calls are
   * refused, open event streams end with {@code UNAVAILABLE}, calls in flight get a few seconds.
   *
   * @throws IOException if the address cannot be bound
   * @throws NullPointerException if {@code options.blockingExecutor()} is null
   */
  @Override
  public TransportServer serve(ChatService service, TransportOptions options) throws IOException {
    return GrpcServer.start(service, options);
  }

  /**
   * A connector to the server at {@code options.host():port()}. It connects on first use and
   * reconnects by itself; {@code close()} releases the channel.
   */
  @Override
  public ChatService connect(TransportOptions options) {
    return GrpcClient.connect(options);
  }

  @Override
  public String toString() {
    return "GrpcTransportProvider";
  }
}
