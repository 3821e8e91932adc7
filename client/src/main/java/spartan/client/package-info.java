/**
 * Spartan's terminal client: a jline REPL ({@link spartan.client.Repl}) that talks only to the
 * core chat API, so it behaves the same over every transport; {@link spartan.client.ClientMain}
 * picks the transport's connector by name at launch.
 */
package spartan.client;
