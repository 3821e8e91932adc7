package spartan.transport.socket;

import spartan.core.testing.TransportTlsContract;

/** TLS over the socket transport: trust, host names, plain-text peers, certificate reload. */
class SocketTlsTest extends TransportTlsContract {
  @Override
  protected String transport() {
    return "socket";
  }
}
