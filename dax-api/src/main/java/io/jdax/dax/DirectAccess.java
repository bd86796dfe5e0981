package io.jdax.dax;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The answer of {@link DaxOperations#directAccess}: device memory starting at the requested page,
 * and how many contiguous pages it covers.
 *
 * @param addr    device memory of exactly {@code nrPages * pageSize} bytes, starting at the requested page
 * @param nrPages contiguous pages available from the requested page, at least one, never more than asked
 */
public record DirectAccess(MemorySegment addr, long nrPages) {
    /** Checks the invariants every driver must keep. */
    public DirectAccess {
        Objects.requireNonNull(addr, "addr");
        if (nrPages < 1) {
            throw new DaxException(Errno.ERANGE, "directAccess must return at least one page, got " + nrPages);
        }
    }
}
