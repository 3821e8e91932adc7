/**
 * Persistence: {@link spartan.core.store.ChatStore} keeps accounts, groups, messages and inboxes
 * consistent and durable, and decides nothing about who may do what (the service does). {@code
 * SqliteChatStore} is the durable default (one SQLite file in WAL mode, commits batched on one
 * writer), {@link spartan.core.store.MemoryChatStore} is for tests and demos, and {@link
 * spartan.core.store.ForwardingChatStore} is the base for wrappers such as the recent-message
 * cache. An append makes one {@link spartan.core.Message} for all its recipients (see {@link
 * spartan.core.Delivery}).
 */
package spartan.core.store;
