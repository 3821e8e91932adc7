/**
 * The gRPC transport: {@code chat.proto}'s {@code spartan.v1.Spartan} service over grpc-java on
 * shaded Netty. {@link spartan.transport.grpc.GrpcTransportProvider} is the only public type; the
 * server and client modules reach it through {@link spartan.core.spi.TransportProvider} at run
 * time.
 *
 * <p>Names say the side, the same way in both transports (as grpc-java pairs {@code
 * NettyClientHandler} and {@code NettyServerHandler}): {@code GrpcServer}/{@code SocketServer},
 * {@code GrpcClient}/{@code SocketClient}, {@code GrpcClientSession}/{@code SocketClientSession},
 * {@code GrpcClientEventStream}/{@code SocketClientEventStream}, {@code GrpcServerEventPump}/{@code
 * SocketServerEventPump}.
 *
 * <p>Server side: {@code GrpcServer}, {@code SpartanEndpoint} (the RPCs), {@code
 * GrpcServerEventPump} (a session's event stream onto a {@code ReceiveMsg} call at the client's
 * reading pace), {@code SendStreamCall} (a session's pipelined sends, in order, with a bounded read
 * window), {@code BearerAuth} (the token as call metadata). Client side: {@code GrpcClient} and
 * {@code GrpcClientSession} (the core API over a channel), {@code PipelinedSends} (a session's
 * sends over one {@code SendStream} call), {@code GrpcClientEventStream} (a {@code ReceiveMsg} call
 * as a Flow subscription). Both: {@code StatusMapping} (errors) and {@code ProtoMapping} (values).
 */
package spartan.transport.grpc;
