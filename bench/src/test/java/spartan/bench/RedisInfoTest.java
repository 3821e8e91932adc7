package spartan.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedisInfoTest {
  static final String STATS_BEFORE =
      """
      # Commandstats\r
      cmdstat_evalsha:calls=100,usec=5000,usec_per_call=50.00,rejected_calls=0,failed_calls=0\r
      cmdstat_xadd:calls=100,usec=300,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r
      cmdstat_info:calls=7,usec=700,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r
      cmdstat_client|setinfo:calls=4,usec=4,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      """;
  static final String STATS_AFTER =
      """
      # Commandstats
      cmdstat_evalsha:calls=1100,usec=55000,usec_per_call=50.00,rejected_calls=0,failed_calls=0
      cmdstat_xadd:calls=1100,usec=3300,usec_per_call=3.00,rejected_calls=0,failed_calls=0
      cmdstat_info:calls=9,usec=900,usec_per_call=100.00,rejected_calls=0,failed_calls=0
      cmdstat_client|setinfo:calls=4,usec=4,usec_per_call=1.00,rejected_calls=0,failed_calls=0
      cmdstat_spublish:calls=500,usec=500,usec_per_call=1.00,rejected_calls=0,failed_calls=0
      """;
  static final String CPU_BEFORE =
      """
      # CPU
      used_cpu_sys:1.250000
      used_cpu_user:2.750000
      used_cpu_sys_children:0.000000
      used_cpu_user_children:0.000000
      used_cpu_sys_main_thread:1.000000
      used_cpu_user_main_thread:2.500000
      """;
  static final String CPU_AFTER =
      """
      # CPU
      used_cpu_sys:1.750000
      used_cpu_user:3.750000
      used_cpu_sys_children:9.000000
      used_cpu_user_children:9.000000
      """;

  @Test
  void deltasCountEveryCommandButTheProbesOwnInfoAndTheWholeProcessCpu() {
    RedisInfo before = RedisInfo.parse(STATS_BEFORE, CPU_BEFORE);
    RedisInfo after = RedisInfo.parse(STATS_AFTER, CPU_AFTER);
    assertThat(before.calls()).doesNotContainKey("info").containsEntry("client|setinfo", 4L);
    assertThat(before.cpuSeconds()).isCloseTo(4.0, within(1e-9));
    assertThat(after.commandsSince(before)).isEqualTo(1000 + 1000 + 500);
    assertThat(after.callsSince(before).keySet()).containsExactly("evalsha", "xadd", "spublish");
    assertThat(after.cpuSecondsSince(before)).isCloseTo(1.5, within(1e-9));
    assertThat(OpenLoop.topCalls(after.callsSince(before), 1000))
        .isEqualTo("evalsha 1.00, xadd 1.00, spublish 0.50");
  }

  @Test
  void anEmptyCommandTableIsZeroCommands() {
    RedisInfo i = RedisInfo.parse("# Commandstats\n", CPU_BEFORE);
    assertThat(i.calls()).isEmpty();
    assertThat(i.commandsSince(i)).isZero();
  }

  @Test
  void malformedOrOversizedInfoIsRefusedWithWhatWasWrong() {
    assertThatThrownBy(() -> RedisInfo.parse(STATS_BEFORE, "# CPU\nused_cpu_sys:1\n"))
        .hasMessageContaining("used_cpu_user");
    assertThatThrownBy(() -> RedisInfo.parse(STATS_BEFORE, "used_cpu_sys:x\nused_cpu_user:1\n"))
        .hasMessageContaining("malformed number");
    assertThatThrownBy(() -> RedisInfo.parse("cmdstat_get:usec=1\n", CPU_BEFORE))
        .hasMessageContaining("no calls=");
    assertThatThrownBy(() -> RedisInfo.parse("cmdstat_get:calls=many\n", CPU_BEFORE))
        .hasMessageContaining("malformed calls");
    assertThatThrownBy(() -> RedisInfo.parse("cmdstat_get\n", CPU_BEFORE))
        .hasMessageContaining("malformed commandstats line");
    assertThatThrownBy(
            () -> RedisInfo.parse("x".repeat(RedisInfo.MAX_CHARS + 1), CPU_BEFORE))
        .hasMessageContaining("longer than");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= RedisInfo.MAX_COMMANDS; i++) {
      many.append("cmdstat_c").append(i).append(":calls=1\n");
    }
    assertThatThrownBy(() -> RedisInfo.parse(many.toString(), CPU_BEFORE))
        .hasMessageContaining("more than " + RedisInfo.MAX_COMMANDS);
  }

  @Test
  void aRealRedisAnswersInfoThatParses() throws Exception {
    try (RedisServerProcess redis =
        RedisServerProcess.startDurable(
            java.nio.file.Files.createTempDirectory("bench-redis-info"), List.of())) {
      RedisInfo before = redis.info();
      try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", redis.port())) {
        for (int i = 0; i < 10; i++) {
          j.set("k" + i, "v");
        }
      }
      RedisInfo after = redis.info();
      assertThat(after.callsSince(before)).containsEntry("set", 10L);
      assertThat(after.cpuSeconds()).isGreaterThanOrEqualTo(before.cpuSeconds());
    }
  }
}
