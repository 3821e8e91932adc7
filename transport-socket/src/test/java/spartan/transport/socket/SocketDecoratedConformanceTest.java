package spartan.transport.socket;

import spartan.core.testing.DecoratedTransportConformance;

/** The conformance suite over the socket transport serving the production stack (limiter and cache). */
class SocketDecoratedConformanceTest extends DecoratedTransportConformance {
  SocketDecoratedConformanceTest() {
    super("socket");
  }
}
