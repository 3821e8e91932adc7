package spartan.transport.socket;

import spartan.core.testing.TlsTransportConformance;

/** The whole conformance suite over the socket transport with TLS: a private CA, names checked. */
class SocketTlsConformanceTest extends TlsTransportConformance {
  SocketTlsConformanceTest() {
    super("socket");
  }
}
