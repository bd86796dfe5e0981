package io.jdax.daxfs;

/**
 * Deliberate bugs, each removing one step the crash-consistency design needs, so the proof
 * tests can show that their campaigns catch its absence. Only tests set them
 * ({@link DaxFs#faults}); a filesystem mounted normally has none.
 */
enum Fault {
    /** Commit without fencing the transaction's body (and the data written before it) first. */
    NO_BODY_FENCE,
    /** Return from a commit without fencing the commit word: "durable on return" becomes false. */
    NO_COMMIT_FENCE,
    /** Hand freshly allocated blocks to the engine as not new, so it does not zero around the write. */
    NO_NEW_FLAG
}
