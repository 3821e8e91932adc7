/** Benchmarks: the side-by-side transport load generator and JMH micro-benchmarks. */
package spartan.bench;
