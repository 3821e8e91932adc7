/**
 * What a transport, the server and the core agree on, without depending on each other: {@link
 * spartan.core.spi.TransportProvider} (found with {@link java.util.ServiceLoader}), its {@link
 * spartan.core.spi.TransportOptions} (including the bounds every transport keeps) and {@link
 * spartan.core.spi.TransportServer}; the connection caps shared by a server's transports ({@link
 * spartan.core.spi.ConnectionGate}); TLS material and policy ({@link spartan.core.spi.Tls});
 * metrics hooks ({@link spartan.core.spi.ChatMetrics}); and the one drain loop of the code base,
 * {@link spartan.core.spi.SerializingExecutor}, with its connector form {@link
 * spartan.core.spi.CallbackLane}.
 */
package spartan.core.spi;
