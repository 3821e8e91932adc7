package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each JMH benchmark of the protobuf mapping once, so a mapping change that breaks one fails the build. */
class ProtoMappingBenchmarkTest {

  @Test
  void everyBenchmarkMapsTheEventBothWays() throws Exception {
    ProtoMappingBenchmark b = new ProtoMappingBenchmark();
    b.setUp();
    assertThat(b.mapEvent()).isEqualTo(b.mapEvent());
    assertThat(b.mapAndSerialiseEvent()).isEqualTo(b.mapEvent().toByteArray());
    assertThat(b.parseAndMapEvent()).isEqualTo(b.parseAndMapEvent()).isNotNull();
  }
}
