package spartan.transport.socket;

import spartan.core.testing.CrossNodeConformance;

/**
 * The conformance suite over the socket transport across two nodes on one Redis (store and bus), one
 * server per node, each login going to the next server in turn.
 */
class SocketClusterConformanceTest extends CrossNodeConformance {
  SocketClusterConformanceTest() {
    super("socket", 2);
  }
}
