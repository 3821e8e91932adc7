package spartan.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes every figure of a run as JSON; a figure that could not be measured is {@code null}. */
final class ResultsFile {
  private ResultsFile() {}

  static final ObjectMapper JSON = mapper();

  private static ObjectMapper mapper() {
    // NaN is not JSON: an unmeasured figure is written as null.
    JsonSerializer<Double> nanAsNull =
        new JsonSerializer<>() {
          @Override
          public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
            if (v == null || v.isNaN() || v.isInfinite()) {
              g.writeNull();
            } else {
              g.writeNumber(v);
            }
          }
        };
    SimpleModule m = new SimpleModule("spartan-bench");
    m.addSerializer(Double.class, nanAsNull);
    m.addSerializer(double.class, nanAsNull);
    return new ObjectMapper().registerModule(m).enable(SerializationFeature.INDENT_OUTPUT);
  }

  static void write(Path file, Map<String, Object> root) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    JSON.writeValue(file.toFile(), root);
  }
}
