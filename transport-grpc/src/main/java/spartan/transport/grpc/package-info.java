/**
 * The gRPC transport: {@code chat.proto}'s {@code spartan.v1.Spartan} service over grpc-java on
 * shaded Netty. {@link spartan.transport.grpc.GrpcTransport} is the only public type; the server
 * and client modules reach it through {@link spartan.core.spi.TransportProvider} at run time.
 *
 * <p>Server side: {@code SpartanEndpoint} (the RPCs), {@code DeliveryBridge} (an event stream at
 * the client's reading pace), {@code SendStreamCall} (a session's pipelined sends, in order,
 * with a bounded read window), {@code BearerAuth} (the token as call metadata), {@code
 * GrpcServer}. Client side: {@code GrpcChatClient} and {@code RemoteSession} (the core API over a
 * channel), {@code PipelinedSends} (a session's sends over one {@code SendStream} call), {@code
 * RemoteEventStream} (a {@code ReceiveMsg} call as a Flow subscription). Both: {@code
 * StatusMapping} (errors) and {@code ProtoMapping} (values).
 */
package spartan.transport.grpc;
