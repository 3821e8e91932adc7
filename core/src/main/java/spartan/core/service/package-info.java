/**
 * The chat service in-process: {@link spartan.core.service.LocalChatService} and its sessions
 * validate every call, decide who may do what, store through {@link spartan.core.store.ChatStore}
 * and push what was stored to live sessions. {@link spartan.core.service.DeliveryRouter} takes
 * "these inboxes have entries up to seq N" and offers them to each live session's event stream,
 * which fills any gap from the store; the session registry, group rules and chat requests live
 * beside it. Every thread comes from an injected executor (the delivery executor, the store's
 * writer); {@code docs/architecture.md} follows one message through them.
 */
package spartan.core.service;
