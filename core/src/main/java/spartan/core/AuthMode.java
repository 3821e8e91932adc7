package spartan.core;

/** How accounts prove who they are. */
public enum AuthMode {
  /** Username only. For demos on a trusted machine: anyone can be anyone. */
  OPEN,
  /** Username and password, stored as Argon2id hashes. */
  PASSWORD
}
