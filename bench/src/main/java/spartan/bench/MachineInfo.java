package spartan.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the figures were taken on: hardware, OS, JDK and library versions. */
record MachineInfo(
    int cores,
    long memoryBytes,
    String cpuModel,
    String os,
    String loadAverage,
    Map<String, String> jdk,
    Map<String, String> libraries) {

  static MachineInfo here() {
    long memory = -1;
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      memory = os.getTotalMemorySize();
    }
    Map<String, String> jdk = new LinkedHashMap<>();
    for (String p : new String[] {"java.version", "java.vendor", "java.vm.name", "java.vm.version"}) {
      jdk.put(p, System.getProperty(p));
    }
    jdk.put("maxHeapBytes", String.valueOf(Runtime.getRuntime().maxMemory()));
    jdk.put("inputArguments", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
    return new MachineInfo(
        Runtime.getRuntime().availableProcessors(),
        memory,
        readCpuModel(),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch"),
        readLoadAverage(),
        jdk,
        readLibraries());
  }

  static String readLoadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String readCpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "unknown";
  }

  /** Versions read at run time: transports are runtime-scope, so no compile-time constants. */
  private static Map<String, String> readLibraries() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("spartan", orUnknown(MachineInfo.class.getPackage().getImplementationVersion()));
    var netty = io.netty.util.Version.identify();
    v.put("netty",
        netty.containsKey("netty-common")
            ? netty.get("netty-common").artifactVersion()
            : netty.isEmpty() ? "unknown" : netty.values().iterator().next().artifactVersion());
    v.put("grpc-java", staticField("io.grpc.internal.GrpcUtil", "IMPLEMENTATION_VERSION"));
    v.put("protobuf-java", protobuf());
    v.put("jackson-databind", com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString());
    v.put("HdrHistogram", pomVersion("org.hdrhistogram", "HdrHistogram"));
    return v;
  }

  private static String protobuf() {
    try {
      Class<?> c = Class.forName("com.google.protobuf.RuntimeVersion");
      return c.getField("MAJOR").get(null) + "." + c.getField("MINOR").get(null) + "."
          + c.getField("PATCH").get(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      return "not on class path";
    }
  }

  private static String staticField(String cls, String field) {
    try {
      return String.valueOf(Class.forName(cls).getField(field).get(null));
    } catch (ReflectiveOperationException | LinkageError e) {
      return "not on class path";
    }
  }

  private static String pomVersion(String group, String artifact) {
    String res = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (var in = MachineInfo.class.getClassLoader().getResourceAsStream(res)) {
      if (in == null) {
        return "unknown";
      }
      var p = new java.util.Properties();
      p.load(in);
      return orUnknown(p.getProperty("version"));
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String orUnknown(String s) {
    return s == null ? "unknown" : s;
  }
}
