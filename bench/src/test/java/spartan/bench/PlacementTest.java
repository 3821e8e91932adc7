package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementTest {

  @Test
  void autoForksAndPinsTheServerToTheFirstCpuAndTheGeneratorToTheRest() {
    Placement p = Placement.decide("auto", false, true, List.of(0, 1, 2, 3));
    assertThat(p.fork()).isTrue();
    assertThat(p.serverCpus()).isEqualTo("0");
    assertThat(p.generatorCpus()).isEqualTo("1-3");
    assertThat(p.serverPrefix()).containsExactly("taskset", "-c", "0");
    assertThat(p.reason()).contains("CPU 0").contains("CPU 1-3");
  }

  @Test
  void autoFallsBackToInProcessAndSaysWhy() {
    Placement noTaskset = Placement.decide("auto", false, false, List.of(0, 1));
    assertThat(noTaskset.fork()).isFalse();
    assertThat(noTaskset.pinned()).isFalse();
    assertThat(noTaskset.reason()).contains("taskset is not on the PATH");
    Placement oneCpu = Placement.decide("auto", false, true, List.of(5));
    assertThat(oneCpu.fork()).isFalse();
    assertThat(oneCpu.reason()).contains("only one CPU");
  }

  @Test
  void forkWithoutTasksetStillForksUnpinnedAndInprocNeverForks() {
    Placement fork = Placement.decide("fork", false, false, List.of(0, 1));
    assertThat(fork.fork()).isTrue();
    assertThat(fork.pinned()).isFalse();
    assertThat(fork.serverPrefix()).isEmpty();
    assertThat(fork.reason()).contains("NOT pinned").contains("taskset");
    assertThat(Placement.decide("inproc", false, true, List.of(0, 1)).fork()).isFalse();
    assertThat(Placement.decide("auto", true, true, List.of(0, 1)).fork())
        .as("a remote server is not ours to start").isFalse();
  }

  @Test
  void cpuListsParseAndPrintTheKernelsWay() {
    assertThat(Placement.parseCpuList(" 0-2,5,7-8\n")).containsExactly(0, 1, 2, 5, 7, 8);
    assertThat(Placement.cpuList(List.of(1, 2, 3, 5, 7, 8))).isEqualTo("1-3,5,7-8");
    assertThat(Placement.cpuList(List.of(1))).isEqualTo("1");
    Placement p = Placement.decide("auto", false, true, List.of(2, 4, 5));
    assertThat(p.serverCpus()).isEqualTo("2");
    assertThat(p.generatorCpus()).isEqualTo("4-5");
    assertThatThrownBy(() -> Placement.parseCpuList("3-1")).hasMessageContaining("CPU list");
    assertThatThrownBy(() -> Placement.parseCpuList("0-5000")).hasMessageContaining("CPU list");
    assertThat(Placement.allowedCpus()).isNotEmpty();
  }
}
