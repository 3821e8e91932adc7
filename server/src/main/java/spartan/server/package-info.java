/**
 * {@code spartan server}: {@link spartan.server.ServerMain} reads {@code config.yaml} and the
 * command line ({@link spartan.server.ConfigLoader}, {@link spartan.server.CommandLine}) into a
 * validated {@link spartan.server.ServerConfig}, and {@link spartan.server.SpartanServer} wires
 * the store, the core service, the rate limiter, the cache and the configured transports, which
 * it finds by name at run time and never compiles against. The operator's side: the admin port
 * ({@link spartan.server.AdminServer}: metrics, health, readiness), Micrometer metrics ({@link
 * spartan.server.ServerMetrics}) and {@code spartan certs} ({@link spartan.server.CertsMain}).
 */
package spartan.server;
