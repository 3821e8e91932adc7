/**
 * The socket transport: newline-delimited JSON over TCP on Netty and Jackson, specified in {@code
 * PROTOCOL.md}. {@link spartan.transport.socket.SocketTransportProvider} is its entry point; the
 * server and client modules reach it through {@link spartan.core.spi.TransportProvider} at run time
 * and never compile against it.
 *
 * <p>The transport is split by role, as a Netty application is: {@code .wire} is the codec (what a
 * line looks like, both ways), {@code .server} runs connections against the core, {@code .client}
 * is the connector. Names say the side, the same way as in the gRPC transport: {@code
 * SocketServer}/{@code SocketClient}, {@code SocketServerHandler}/{@code SocketClientHandler},
 * {@code SocketServerEventPump}/{@code SocketClientEventStream}, {@code SocketClientSession}. The
 * subpackages' public types are public only so the three packages can share them; nothing outside
 * this module uses them.
 */
package spartan.transport.socket;
