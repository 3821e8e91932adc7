package spartan.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import spartan.core.service.LocalChatService;
import spartan.core.spi.TransportOptions;
import spartan.core.store.MemoryChatStore;

/** Stock gRPC tooling works against the server: reflection lists the service, health says so. */
class ServerServicesTest {
  private ExecutorService blocking;
  private MemoryChatStore store;
  private LocalChatService core;
  private GrpcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    blocking = Executors.newCachedThreadPool();
    store = new MemoryChatStore();
    core = LocalChatService.builder().store(store).deliveryExecutor(blocking).build();
    server = GrpcServer.start(core, TransportOptions.of("127.0.0.1", 0, blocking));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    core.close();
    store.close();
    blocking.shutdownNow();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void reflectionListsTheSpartanServiceAndDescribesIt() throws Exception {
    ServerReflectionResponse listed =
        reflect(ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> services =
        listed.getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    assertThat(services)
        .contains("spartan.v1.Spartan", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");

    ServerReflectionResponse file =
        reflect(
            ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("spartan.v1.Spartan")
                .build());
    assertThat(file.getFileDescriptorResponse().getFileDescriptorProtoCount()).isPositive();
  }

  @Test
  void healthReportsServingForTheServerAndTheService() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    for (String service : List.of("", "spartan.v1.Spartan")) {
      HealthCheckResponse r = health.check(HealthCheckRequest.newBuilder().setService(service).build());
      assertThat(r.getStatus()).as(service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    answer.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    answer.completeExceptionally(new AssertionError("no reflection answer"));
                  }
                });
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }
}
