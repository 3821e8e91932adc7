/**
 * The one decorator that applies the API's {@code @RateLimited} and {@code @Cached} annotations
 * around a chat service. See {@link spartan.core.decorate.ChatDecorator}.
 */
package spartan.core.decorate;
