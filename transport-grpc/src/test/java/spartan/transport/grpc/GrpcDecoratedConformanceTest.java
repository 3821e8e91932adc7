package spartan.transport.grpc;

import spartan.core.testing.DecoratedTransportConformance;

/** The conformance suite over real gRPC on Netty serving the production stack (limiter and cache). */
class GrpcDecoratedConformanceTest extends DecoratedTransportConformance {
  GrpcDecoratedConformanceTest() {
    super("grpc");
  }
}
