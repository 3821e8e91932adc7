package spartan.core.crypto;

/** What {@link KeyPins#observe} found when comparing a contact's published keys with the pin. */
public enum PinStatus {
  /** First sight of this contact: the keys are now pinned (trust on first use). */
  NEW,
  /** The keys equal the pinned ones. */
  UNCHANGED,
  /**
   * The keys differ from the pinned ones. The pin is kept: the new keys must not be used until the
   * user has compared fingerprints and called {@link KeyPins#accept}.
   */
  CHANGED
}
