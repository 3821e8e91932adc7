package spartan.bench;

/**
 * One column of the tables: a transport (or the relay, or the core in-process) over one store on
 * a number of server nodes, named {@code socket:embedded}, {@code grpc-tls:memory}, {@code
 * socket:redis*3} (three nodes, senders on the first, recipients on the last) or {@code netty}
 * (the relay has no store). An immutable value.
 *
 * @param transport {@code grpc}, {@code socket}, {@code grpc-tls}, {@code socket-tls}, {@code
 *     inproc} or {@link Deployment#RELAY}
 * @param store {@code memory}, {@code embedded}, {@code redis}, {@code remote} (whatever a server
 *     at {@code --host} uses); null for the relay
 * @param nodes server nodes, 1 unless {@code --nodes}
 */
record Binding(String transport, String store, int nodes) {
  static final Binding RELAY = new Binding(Deployment.RELAY, null, 1);

  Binding {
    if (nodes < 1) {
      throw new IllegalArgumentException("nodes must be at least 1, was " + nodes);
    }
    if ((store == null) != transport.equals(Deployment.RELAY)) {
      throw new IllegalArgumentException("only the relay has no store: " + transport + " " + store);
    }
  }

  /** Parses what {@link #name()} writes. */
  static Binding parse(String name) {
    if (name.equals(Deployment.RELAY)) {
      return RELAY;
    }
    int colon = name.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("a binding looks like socket:embedded, was " + name);
    }
    String store = name.substring(colon + 1);
    int nodes = 1;
    int star = store.indexOf('*');
    if (star > 0) {
      nodes = Integer.parseInt(store.substring(star + 1));
      store = store.substring(0, star);
    }
    return new Binding(name.substring(0, colon), store, nodes);
  }

  String name() {
    if (store == null) {
      return transport;
    }
    return transport + ":" + store + (nodes > 1 ? "*" + nodes : "");
  }

  boolean isRelay() {
    return store == null;
  }

  boolean isTls() {
    return BenchTls.isTls(transport);
  }

  /** The wire under the binding: {@code grpc} for {@code grpc-tls:memory}. */
  String wire() {
    return BenchTls.transportOf(transport);
  }

  /** The same transport over another store. */
  Binding withStore(String other) {
    return new Binding(transport, other, nodes);
  }

  @Override
  public String toString() {
    return name();
  }
}
