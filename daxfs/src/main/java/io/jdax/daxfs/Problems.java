package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.ArrayList;
import java.util.List;

/**
 * What a scan of the media found, by kind. A strict scan (mount) throws at the first error; a
 * lenient one (fsck) collects everything.
 */
final class Problems {
    private final boolean strict;
    final List<String> errors = new ArrayList<>();
    final List<String> pending = new ArrayList<>();
    final List<String> leaks = new ArrayList<>();
    long leakedBlocks;

    Problems(boolean strict) {
        this.strict = strict;
    }

    /**
     * Corruption or an inconsistency no crash can cause: mount refuses, fsck reports (and with
     * repair fixes).
     *
     * @throws DaxException EUCLEAN in a strict scan
     */
    void error(String message) {
        if (strict) {
            throw new DaxException(Errno.EUCLEAN, message + " (run fsck)");
        }
        errors.add(message);
    }

    /** A state a crash leaves and mount finishes: an orphan, a truncate in progress, a journal to replay. */
    void pending(String message) {
        pending.add(message);
    }

    /** Blocks marked used that nothing owns: reclaimable by fsck repair. */
    void leak(long blocks, String message) {
        leakedBlocks += blocks;
        if (leaks.size() < 100) {
            leaks.add(message);
        }
    }
}
