/**
 * Who a caller is: password hashing ({@link spartan.core.auth.PasswordHasher}, Argon2id through
 * BouncyCastle), session tokens checked in constant time ({@link spartan.core.auth.SessionTokens})
 * and the throttle on password guessing and mass sign-up that runs before any hash is computed
 * ({@link spartan.core.auth.AuthThrottle}). Used by the in-process service; no transport sees a
 * password hash or a token's secret half.
 */
package spartan.core.auth;
