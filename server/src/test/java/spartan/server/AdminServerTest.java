package spartan.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import spartan.core.ChatEvent;
import spartan.core.ChatException;
import spartan.core.ChatService;
import spartan.core.ErrorCode;
import spartan.core.Recipient;
import spartan.core.Session;
import spartan.core.spi.TransportOptions;
import spartan.core.spi.TransportProvider;
import spartan.core.testing.EventRecorder;
import spartan.core.testing.RedisProcess;

/**
 * The admin port of a real server: Prometheus figures that move with a real chat, the health
 * and readiness pages, and readiness following the Redis limiter's redis-server.
 */
class AdminServerTest {
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private ServerConfig config(String... flags) {
    List<String> args = new ArrayList<>(List.of(
        "--grpc-port", "0", "--socket-port", "0", "--metrics-port", "0",
        "--data", dir.resolve("data").toString()));
    args.addAll(List.of(flags));
    CommandLine cli = CommandLine.parse(args, Path.of("..", "config.yaml"));
    return ConfigLoader.load(cli.config, cli.overrides, cli.flags);
  }

  private static HttpResponse<String> get(SpartanServer server, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample line, e.g. {@code spartan_logins_total{result="ok"}}; 0 if absent. */
  private static double sample(String scrape, String series) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(series) + " ([-+0-9.eE]+|NaN)$").matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static double sample(SpartanServer server, String series) throws Exception {
    return sample(get(server, "/metrics").body(), series);
  }

  @Test
  void theFiguresMoveDuringAShortChat() throws Exception {
    try (SpartanServer server = SpartanServer.start(config("--store", "embedded"));
        ChatService socket = TransportProvider.named("socket")
            .connect(TransportOptions.of("127.0.0.1", server.ports().get("socket"), null));
        ChatService grpc = TransportProvider.named("grpc")
            .connect(TransportOptions.of("127.0.0.1", server.ports().get("grpc"), null))) {
      String before = get(server, "/metrics").body();
      assertThat(before)
          .contains("# TYPE spartan_logins_total counter")
          .contains("spartan_rate_limiter_backend{backend=\"local\"} 1")
          .contains("jvm_memory_used_bytes")
          .contains("jvm_buffer_memory_used_bytes{id=\"direct\"}")
          .contains("jvm_gc_")
          .contains("jvm_threads_live_threads")
          .contains("system_cpu_count");

      Session alice = socket.login("alice", null);
      Session bob = grpc.login("bob", null);
      assertThatThrownBy(() -> socket.login("nobody", null))
          .isInstanceOfSatisfying(ChatException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
      EventRecorder bobEvents = EventRecorder.unbounded();
      bob.events(0).subscribe(bobEvents);
      bobEvents.awaitSubscribed();
      for (int i = 0; i < 3; i++) {
        alice.send(Recipient.user("bob"), "hello " + i);
      }
      alice.createGroup("ops", List.of("bob"));
      bob.joinGroup("ops"); // an invitation makes no member until accepted
      alice.send(Recipient.group("ops"), "to the group");
      int messages = 0;
      for (int i = 0; i < 10 && messages < 4; i++) {
        if (bobEvents.next() instanceof ChatEvent.MessageReceived) {
          messages++; // the invitation and the join come between them
        }
      }
      assertThat(messages).isEqualTo(4);

      String after = get(server, "/metrics").body();
      assertThat(sample(after, "spartan_logins_total{result=\"ok\"}")
              - sample(before, "spartan_logins_total{result=\"ok\"}")).isEqualTo(2);
      assertThat(sample(after, "spartan_logins_total{result=\"failed\"}")
              - sample(before, "spartan_logins_total{result=\"failed\"}")).isEqualTo(1);
      assertThat(sample(after, "spartan_messages_stored_total{kind=\"direct\"}")).isEqualTo(3);
      assertThat(sample(after, "spartan_messages_stored_total{kind=\"group\"}")).isEqualTo(1);
      assertThat(sample(after, "spartan_messages_delivered_total{path=\"live\"}")).isEqualTo(4);
      assertThat(sample(after, "spartan_delivery_lag_seconds_count")).isEqualTo(4);
      assertThat(after).contains("spartan_delivery_lag_seconds_bucket{le=\"0.005\"}");
      assertThat(sample(after, "spartan_store_commit_seconds_count")).isPositive();
      assertThat(sample(after, "spartan_store_commit_batch_size_sum")).isPositive();
      assertThat(sample(after, "spartan_sessions")).isEqualTo(2);
      assertThat(sample(after, "spartan_connections{transport=\"socket\"}")).isPositive();
      assertThat(sample(after, "spartan_connections{transport=\"grpc\"}")).isPositive();
      assertThat(after)
          .contains("spartan_netty_direct_memory_used_bytes{transport=\"socket\"}")
          .contains("spartan_netty_direct_memory_used_bytes{transport=\"grpc\"}");
      // Bob has not acknowledged: his four messages wait in his inbox (sampled every few s).
      await().atMost(Duration.ofSeconds(15))
          .until(() -> sample(server, "spartan_inbox_undelivered") == 4);
      bob.ack(4);
      await().atMost(Duration.ofSeconds(15))
          .until(() -> sample(server, "spartan_inbox_undelivered") == 0);
      alice.history(Recipient.user("bob"), 0, 10);
      alice.history(Recipient.user("bob"), 0, 10);
      assertThat(sample(server, "cache_gets_total{cache=\"recent_messages\",result=\"hit\"}")
              + sample(server, "cache_gets_total{cache=\"recent_messages\",result=\"miss\"}"))
          .isEqualTo(2);
    }
  }

  @Test
  void aSenderOverTheLimitIsCounted() throws Exception {
    try (SpartanServer server =
            SpartanServer.start(config("--store", "memory", "--transport", "socket"));
        ChatService chat = TransportProvider.named("socket")
            .connect(TransportOptions.of("127.0.0.1", server.ports().get("socket"), null))) {
      Session alice = chat.login("alice", null);
      int refused = 0;
      // The shipped limit is 15/s with a burst of 15: some of 40 quick sends are refused.
      for (int i = 0; i < 40; i++) {
        try {
          alice.send(Recipient.user("bob"), "quick " + i);
        } catch (ChatException e) {
          assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED);
          refused++;
        }
      }
      assertThat(refused).isPositive();
      assertThat(sample(server, "spartan_rate_limited_total")).isEqualTo(refused);
    }
  }

  @Test
  void healthAndReadinessAnswerAndTheRestIsRefused() throws Exception {
    try (SpartanServer server = SpartanServer.start(config("--store", "memory"))) {
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(server, "/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).contains("store: ok").contains("transports: accepting");
      assertThat(get(server, "/nothing").statusCode()).isEqualTo(404);
      HttpResponse<String> post = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/ready"))
              .POST(HttpRequest.BodyPublishers.ofString("x"))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  @Test
  void theAdminPortIsOffUnlessConfigured() throws Exception {
    CommandLine cli = CommandLine.parse(
        List.of("--store", "memory", "--grpc-port", "0", "--socket-port", "0"),
        Path.of("..", "config.yaml"));
    try (SpartanServer server =
        SpartanServer.start(ConfigLoader.load(cli.config, cli.overrides, cli.flags))) {
      assertThat(server.adminPort()).isEqualTo(-1);
    }
  }

  @Test
  void readinessFollowsTheRedisLimiter() throws Exception {
    try (RedisProcess redis = RedisProcess.startOnFreePort();
        SpartanServer server =
            SpartanServer.start(config("--store", "memory", "--redis", redis.url()))) {
      HttpResponse<String> ready = get(server, "/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).contains("redis: ok");
      assertThat(sample(server, "spartan_rate_limiter_backend{backend=\"redis\"}")).isEqualTo(1);
      assertThat(grpcHealth(server)).isEqualTo("SERVING");

      redis.stop();
      await().atMost(Duration.ofSeconds(20)).until(() -> get(server, "/ready").statusCode() == 503);
      assertThat(get(server, "/ready").body()).contains("redis: unreachable").contains("not ready");
      assertThat(sample(server, "spartan_rate_limiter_backend{backend=\"local\"}")).isEqualTo(1);
      assertThat(grpcHealth(server)).isEqualTo("NOT_SERVING");

      redis.restart();
      // The limiter asks Redis again after its retry interval; readiness follows.
      await().atMost(Duration.ofSeconds(20)).until(() -> get(server, "/ready").statusCode() == 200);
      assertThat(grpcHealth(server)).isEqualTo("SERVING");
    }
  }

  /** What the standard gRPC health service says about the whole server. */
  private static String grpcHealth(SpartanServer server) {
    io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder
        .forAddress("127.0.0.1", server.ports().get("grpc")).usePlaintext().build();
    try {
      return io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
          .getStatus()
          .name();
    } finally {
      channel.shutdownNow();
    }
  }
}
