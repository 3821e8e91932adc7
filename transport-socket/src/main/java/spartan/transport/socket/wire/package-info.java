/**
 * The socket wire, both ways: how a line looks and how it is read. The server's pipeline is a line
 * framer, then {@link spartan.transport.socket.wire.RequestDecoder} (each line becomes one {@link
 * spartan.transport.socket.wire.Inbound}: a request with its envelope checked, or a malformed line
 * to answer) and {@link spartan.transport.socket.wire.ReplyEncoder} (each {@link
 * spartan.transport.socket.wire.Outbound} reply or event becomes one line); the connector's is a
 * framer and {@link spartan.transport.socket.wire.ReplyDecoder}. Both decoders share {@link
 * spartan.transport.socket.wire.JsonLineDecoder} (UTF-8 check, the fast path, the tree, the
 * fixed reasons for a bad line).
 *
 * <p>The hot lines (sends, send replies, message events) are read with {@code FlatJson} and written
 * with {@code LineWriter}, without a tree ({@code ServerLines}, {@code ClientLines}, {@code
 * MessageLines}); every other line goes through Jackson ({@code WireJson}, {@code WireFormat},
 * {@code GroupLines}), and a fast path takes only what the tree path would read the same. Error
 * fields are written in one place ({@code WireFormat.errorFields}) and read in one ({@code
 * WireFormat.errorOf}); {@code WireCodes} maps the core's error codes. {@code SocketTls} makes the
 * TLS contexts both sides start their pipelines with.
 *
 * <p>Internal to the socket transport: public only for its {@code .server} and {@code .client}
 * packages.
 */
package spartan.transport.socket.wire;
