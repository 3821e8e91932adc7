package spartan.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a Redis server has done so far, from {@code INFO commandstats} and {@code INFO cpu}: calls
 * per command and the process's CPU time. Two samples around a measured window give the
 * commands and Redis CPU per delivered message, which set the ceiling of one Redis core. An
 * immutable value.
 *
 * <p>Commands run inside scripts count too (Redis reports {@code redis.call}s under their own
 * names), so calls are not round trips; {@code evalsha} and {@code fcall} are the scripts
 * themselves. {@code INFO} is left out: it is the probe's own.
 *
 * @param calls calls per command name ({@code get}, {@code client|list}), in the order Redis listed
 *     them
 * @param cpuSeconds {@code used_cpu_sys + used_cpu_user}: every thread of the server process
 */
record RedisInfo(Map<String, Long> calls, double cpuSeconds) {
  /** A bound on the text parsed: a real INFO section is a few KiB. */
  static final int MAX_CHARS = 1 << 20;
  /** A bound on the commands kept: Redis 7 has about 240 with subcommands. */
  static final int MAX_COMMANDS = 4096;

  RedisInfo {
    calls = Collections.unmodifiableMap(new LinkedHashMap<>(calls));
  }

  /**
   * Parses the text of {@code INFO commandstats} and {@code INFO cpu}.
   *
   * @throws IllegalArgumentException if either is longer than {@value #MAX_CHARS} chars, lists
   *     more than {@value #MAX_COMMANDS} commands, or has no CPU figures or a malformed number
   */
  static RedisInfo parse(String commandstats, String cpu) {
    if (commandstats.length() > MAX_CHARS || cpu.length() > MAX_CHARS) {
      throw new IllegalArgumentException("INFO text longer than " + MAX_CHARS + " chars");
    }
    Map<String, Long> calls = new LinkedHashMap<>();
    for (String line : commandstats.split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("malformed commandstats line: " + clip(line));
      }
      String name = line.substring("cmdstat_".length(), colon);
      if (name.equals("info")) {
        continue;
      }
      if (calls.size() >= MAX_COMMANDS) {
        throw new IllegalArgumentException("more than " + MAX_COMMANDS + " commands in INFO");
      }
      calls.put(name, field(line.substring(colon + 1), "calls", line));
    }
    Double sys = null;
    Double user = null;
    for (String line : cpu.split("\r?\n")) {
      if (line.startsWith("used_cpu_sys:")) {
        sys = decimal(line);
      } else if (line.startsWith("used_cpu_user:")) {
        user = decimal(line);
      }
    }
    if (sys == null || user == null) {
      throw new IllegalArgumentException("INFO cpu has no used_cpu_sys and used_cpu_user");
    }
    return new RedisInfo(calls, sys + user);
  }

  /** Calls of every command since {@code before}. */
  long commandsSince(RedisInfo before) {
    long n = 0;
    for (Map.Entry<String, Long> e : calls.entrySet()) {
      n += e.getValue() - before.calls.getOrDefault(e.getKey(), 0L);
    }
    return n;
  }

  /** Calls per command since {@code before}, only those that ran, most first. */
  Map<String, Long> callsSince(RedisInfo before) {
    Map<String, Long> out = new LinkedHashMap<>();
    calls.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.calls.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEachOrdered(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  double cpuSecondsSince(RedisInfo before) {
    return cpuSeconds - before.cpuSeconds;
  }

  private static long field(String fields, String key, String line) {
    for (String kv : fields.split(",")) {
      int eq = kv.indexOf('=');
      if (eq > 0 && kv.substring(0, eq).equals(key)) {
        try {
          return Long.parseLong(kv.substring(eq + 1).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("malformed " + key + " in: " + clip(line));
        }
      }
    }
    throw new IllegalArgumentException("no " + key + "= in: " + clip(line));
  }

  private static double decimal(String line) {
    try {
      return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed number in: " + clip(line));
    }
  }

  private static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
