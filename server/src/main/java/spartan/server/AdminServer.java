package spartan.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's HTTP port: {@code GET /metrics} (Prometheus text), {@code GET /health} (200 while
 * the process runs) and {@code GET /ready} (200 when ready for traffic, 503 otherwise; the body
 * says which part is not). The JDK's own HTTP server ({@code jdk.httpserver}) is enough for three
 * read-only pages polled by a scraper and a probe, and adds no dependency or second Netty
 * configuration to keep apart from the chat transports'.
 *
 * <p>Bounded: GET and HEAD only (405 otherwise), three fixed paths (404 otherwise), request bodies
 * never read, two threads, so a flood of slow requests cannot take more than that; the JDK server
 * caps request headers itself. It binds to loopback unless {@code metrics.host} says otherwise,
 * since the figures name no user but are not meant for the public.
 */
final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final String TEXT = "text/plain; charset=utf-8";
  /** Prometheus's text exposition format, version 0.0.4. */
  private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer http;
  private final ExecutorService threads;

  private AdminServer(HttpServer http, ExecutorService threads) {
    this.http = http;
    this.threads = threads;
  }

  /** Listens on {@code host:port} (0 picks a free port). */
  static AdminServer start(
      String host, int port, Supplier<String> metrics, Supplier<Readiness.Report> ready)
      throws IOException {
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new IOException(
          "metrics.port: cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    ExecutorService threads = Executors.newFixedThreadPool(2, SpartanServer.named("spartan-admin"));
    http.setExecutor(threads);
    http.createContext("/", exchange -> handle(exchange, metrics, ready));
    http.start();
    AdminServer admin = new AdminServer(http, threads);
    log.info("Metrics and health on http://{}:{}/ (/metrics, /health, /ready)",
        hostForUrl(host), admin.port());
    return admin;
  }

  private static void handle(
      HttpExchange exchange, Supplier<String> metrics, Supplier<Readiness.Report> ready)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, TEXT, "only GET and HEAD\n");
        return;
      }
      switch (exchange.getRequestURI().getPath()) {
        case "/metrics" -> reply(exchange, 200, PROMETHEUS, metrics.get());
        case "/health" -> reply(exchange, 200, TEXT, "ok\n");
        case "/ready" -> {
          Readiness.Report r = ready.get();
          reply(exchange, r.ready() ? 200 : 503, TEXT, r.text());
        }
        default -> reply(exchange, 404, TEXT, "not found: try /metrics, /health or /ready\n");
      }
    } catch (RuntimeException e) {
      log.warn("admin request failed", e);
    }
  }

  private static void reply(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  int port() {
    return http.getAddress().getPort();
  }

  @Override
  public void close() {
    http.stop(0);
    threads.shutdown();
    try {
      threads.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
