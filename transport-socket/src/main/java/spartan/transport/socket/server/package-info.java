/**
 * The socket transport's server: {@link spartan.transport.socket.server.SocketServer} accepts
 * connections (refusing those over the connection caps at accept time), {@code ServerPipeline}
 * builds each one's pipeline (TLS, keep-alive, the slow-line guard, framing, the wire codec) and
 * {@code SocketServerHandler} keeps each connection's lifecycle and schedules its requests, which
 * {@code Operations} (and {@code GroupOps}) run against the core on the blocking executor. {@code
 * SocketServerEventPump} feeds a session's event stream onto the connection at the pace it writes.
 * Nothing here blocks an event loop.
 *
 * <p>Internal to the socket transport.
 */
package spartan.transport.socket.server;
