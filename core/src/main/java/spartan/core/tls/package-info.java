/**
 * TLS in JDK terms for both transports: PEM certificates and keys ({@link
 * spartan.core.tls.PemFiles}), a server certificate re-read when its files change ({@link
 * spartan.core.tls.ReloadingKeyManager}), a private CA for trying TLS out ({@link
 * spartan.core.tls.PrivateCa}) and a failed handshake told in one sentence a user can act on
 * ({@link spartan.core.tls.TlsFailures}). Each transport builds its own engine from these.
 */
package spartan.core.tls;
