/**
 * The chat API every binding implements, as plain interfaces and values: {@link
 * spartan.core.ChatService} (accounts, login) and {@link spartan.core.Session} (send, list, ack,
 * history, groups, and a {@link java.util.concurrent.Flow.Publisher} of {@link
 * spartan.core.ChatEvent}s), the records they carry ({@link spartan.core.Message}, {@link
 * spartan.core.Delivery}, {@link spartan.core.Recipient}, …), the one domain error {@link
 * spartan.core.ChatException} with its closed {@link spartan.core.ErrorCode} set, the bounds
 * ({@link spartan.core.Limits}, {@link spartan.core.Names}) and the annotations the decorator
 * applies ({@link spartan.core.RateLimited}, {@link spartan.core.Cached}).
 *
 * <p>The in-process service ({@code core.service}), the gRPC connector and the socket connector
 * all implement these types, and one conformance suite proves they behave the same. Nothing here
 * depends on a transport, a store or a library beyond the JDK.
 */
package spartan.core;
