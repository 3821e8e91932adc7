package spartan.transport.grpc;

import spartan.core.testing.TlsTransportConformance;

/** The whole conformance suite over gRPC with TLS, trusting a private CA, host name checked. */
class GrpcTlsConformanceTest extends TlsTransportConformance {
  GrpcTlsConformanceTest() {
    super("grpc");
  }
}
