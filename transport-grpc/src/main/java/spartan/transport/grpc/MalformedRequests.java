package spartan.transport.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests that do not parse as their message type — not protobuf, or a {@code string} field
 * that is not valid UTF-8, which protobuf-java checks for proto3 strings (overlong forms and
 * encoded surrogates included) — answered {@code INVALID_ARGUMENT}, not the {@code UNKNOWN}
 * "application error" grpc-java gives when a request marshaller throws.
 *
 * <p>grpc-java parses a request before any interceptor sees it and turns a parse failure into
 * {@code UNKNOWN} whatever status it carries, so the two halves work together: {@link #tolerant}
 * makes a method's request marshaller answer {@code null} for such bytes (protobuf never parses
 * to null), and {@link #interceptor} — outermost, so it sees each request first — closes the call
 * with {@code INVALID_ARGUMENT} on a null and lets nothing of it reach the service. The handler
 * is told the call was cancelled, so a stream it opened (a {@code SendStream}) is cleaned up.
 */
final class MalformedRequests {
  private static final Logger log = LoggerFactory.getLogger(MalformedRequests.class);

  static final String MESSAGE =
      "The request is not valid: not well-formed protobuf of its type, or a string in it that"
          + " is not UTF-8.";

  private MalformedRequests() {}

  /** {@code method} with a request marshaller that parses malformed requests to null. */
  static <Q, R> ServerMethodDefinition<Q, R> tolerant(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> d = method.getMethodDescriptor();
    return ServerMethodDefinition.create(
        d.toBuilder(tolerant(d.getRequestMarshaller()), d.getResponseMarshaller()).build(),
        method.getServerCallHandler());
  }

  /** {@code marshaller}, answering null for bytes it cannot parse. */
  static <T> MethodDescriptor.Marshaller<T> tolerant(MethodDescriptor.Marshaller<T> marshaller) {
    if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<T> p) {
      return new MethodDescriptor.PrototypeMarshaller<>() {
        @Override
        public InputStream stream(T value) {
          return p.stream(value);
        }

        @Override
        public T parse(InputStream stream) {
          return parseOrNull(p, stream);
        }

        @Override
        public T getMessagePrototype() {
          return p.getMessagePrototype();
        }

        @Override
        public Class<T> getMessageClass() {
          return p.getMessageClass();
        }
      };
    }
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(T value) {
        return marshaller.stream(value);
      }

      @Override
      public T parse(InputStream stream) {
        return parseOrNull(marshaller, stream);
      }
    };
  }

  private static <T> T parseOrNull(MethodDescriptor.Marshaller<T> m, InputStream stream) {
    try {
      return m.parse(stream);
    } catch (RuntimeException e) {
      log.debug("malformed request", e);
      return null;
    }
  }

  /** Closes a call whose request parsed to null with {@code INVALID_ARGUMENT}. */
  static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(call, headers)) {
          private boolean refused; // gRPC calls a listener serially

          @Override
          public void onMessage(Q message) {
            if (refused) {
              return;
            }
            if (message == null) {
              refused = true;
              call.close(Status.INVALID_ARGUMENT.withDescription(MESSAGE), new Metadata());
              return;
            }
            super.onMessage(message);
          }

          @Override
          public void onHalfClose() {
            if (!refused) {
              super.onHalfClose();
            }
          }

          @Override
          public void onReady() {
            if (!refused) {
              super.onReady();
            }
          }

          @Override
          public void onComplete() {
            // The call ended because of us: to the handler it was cancelled, not served.
            if (refused) {
              super.onCancel();
            } else {
              super.onComplete();
            }
          }
        };
      }
    };
  }
}
