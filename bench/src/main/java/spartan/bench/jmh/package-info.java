/**
 * JMH micro-benchmarks of core pieces (the decorator's dispatch, the rate limiters, the embedded
 * store's append), run by {@code spartan bench jmh} with the transports' own micro-benchmarks,
 * which live in those modules' tests. Figures and how to read them are in BENCHMARKS.md.
 */
package spartan.bench.jmh;
