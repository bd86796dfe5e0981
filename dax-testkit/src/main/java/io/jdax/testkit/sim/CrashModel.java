package io.jdax.testkit.sim;

/**
 * How finely {@link SimulatedMedia#crash} mixes the states of a line that was not fenced.
 */
public enum CrashModel {
    /**
     * The default: a whole 64-byte line survives in one of its possible states (its last
     * persistent content, any content it was written back or stored non-temporally with since,
     * any content a cached store through the Arch left in it since its last write-back, or its
     * current content, as if evicted just before the failure).
     */
    LINE,
    /**
     * x86's finer guarantee: only aligned 8-byte stores are failure-atomic, so each 8-byte word of
     * an unfenced line survives in a state chosen on its own. Harsher on torn writes.
     */
    WORD8
}
