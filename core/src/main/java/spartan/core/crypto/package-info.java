/**
 * End-to-end encryption for message bodies; see SECURITY.md for the scheme and threat model.
 *
 * <p>How a client uses it:
 *
 * <pre>{@code
 * Path home = Path.of(System.getProperty("user.home"));
 * Identity me = Identity.loadOrCreate(Identity.defaultFile(home, "alice"), random);
 * KeyPins pins = KeyPins.open(KeyPins.defaultFile(home, "alice"));
 * // publish me.publicKeys() through the server; for each contact's fetched keys:
 * switch (pins.observe("bob", fetched)) { case NEW, UNCHANGED -> {} case CHANGED -> announce(); }
 *
 * byte[] env = new Sealer(random).seal(me, "alice", Recipient.user("bob"), clientMsgId,
 *     Map.of("bob", pins.pinned("bob").orElseThrow()), text.getBytes(UTF_8));
 * session.send(Recipient.user("bob"), MessageBody.sealed(env), clientMsgId);
 *
 * byte[] text = new Opener().open(me, "alice", message, pins.pinned(message.from()).orElseThrow());
 * }</pre>
 *
 * Everything here is in {@code core} and uses only BouncyCastle's lightweight API.
 */
package spartan.core.crypto;
