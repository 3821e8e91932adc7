package spartan.core.cluster;

import spartan.core.testing.CrossNodeConformance;

/** The whole conformance suite in process across two nodes on one Redis (store and bus). */
class ClusterConformanceTest extends CrossNodeConformance {
  ClusterConformanceTest() {
    super(null, 2);
  }
}
