package spartan.transport.grpc;

import spartan.core.testing.TransportTlsContract;

/** TLS behaviour over gRPC: trust, host names, plain-text peers, certificate reload. */
class GrpcTlsTest extends TransportTlsContract {
  @Override
  protected String transport() {
    return "grpc";
  }
}
