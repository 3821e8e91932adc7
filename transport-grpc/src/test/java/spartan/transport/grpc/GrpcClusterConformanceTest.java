package spartan.transport.grpc;

import spartan.core.testing.CrossNodeConformance;

/**
 * The conformance suite over gRPC on Netty across two nodes on one Redis (store and bus), one
 * server per node, each login going to the next server in turn.
 */
class GrpcClusterConformanceTest extends CrossNodeConformance {
  GrpcClusterConformanceTest() {
    super("grpc", 2);
  }
}
