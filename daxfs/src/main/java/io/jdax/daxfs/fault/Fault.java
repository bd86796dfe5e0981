package io.jdax.daxfs.fault;

/**
 * Deliberate bugs, each removing one step the crash-consistency design needs, so the proof
 * campaigns (module {@code io.jdax.daxfs.campaigns}) can show that they catch its absence.
 * Only a mount through {@link FaultInjection#mount} has any; a filesystem mounted normally has
 * none.
 */
public enum Fault {
    /** Commit without fencing the transaction's body (and the data written before it) first. */
    NO_BODY_FENCE,
    /** Return from a commit without fencing the commit word: "durable on return" becomes false. */
    NO_COMMIT_FENCE,
    /** Hand freshly allocated blocks to the engine as not new, so it does not zero around the write. */
    NO_NEW_FLAG
}
