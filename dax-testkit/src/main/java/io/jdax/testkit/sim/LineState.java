package io.jdax.testkit.sim;

/** Where a 64-byte line of simulated media stands (contract C9). */
public enum LineState {
    /** Its content is persistent: nothing would be lost at a power failure. */
    CLEAN,
    /**
     * Written back or stored non-temporally, not yet fenced by the thread that did it: a power
     * failure may keep the new content or the old.
     */
    PENDING,
    /**
     * Changed by cached stores (through the Arch, or straight into mapped memory) since it was
     * last written back: only an eviction would save it.
     */
    DIRTY
}
