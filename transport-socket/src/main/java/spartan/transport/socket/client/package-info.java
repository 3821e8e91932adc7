/**
 * The socket transport's connector: {@link spartan.transport.socket.client.SocketClient} is a
 * {@link spartan.core.ChatService} over the wire, each session ({@code SocketClientSession}) one
 * TCP connection whose {@code SocketClientHandler} correlates requests with replies and routes
 * pushed events to a {@code SocketClientEventStream}. The connectors of one JVM share their event
 * loops ({@code ClientLoops}).
 *
 * <p>Internal to the socket transport.
 */
package spartan.transport.socket.client;
