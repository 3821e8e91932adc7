/**
 * Benchmarks: the load generator that measures both transports over each store against forked,
 * pinned {@code spartan server}s (or the bare core in-process), several nodes on one Redis, and
 * JMH micro-benchmarks. Reaches servers only through the chat API and {@code TransportProvider}.
 */
package spartan.bench;
