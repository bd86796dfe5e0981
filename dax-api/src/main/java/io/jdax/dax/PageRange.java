package io.jdax.dax;

/**
 * The argument checks of page-addressed operations, in one place so every driver words them the
 * same way.
 */
public final class PageRange {
    private PageRange() {
    }

    /**
     * Checks a {@code directAccess}/{@code zeroPageRange} request and returns how many pages of it
     * lie on the device: {@code min(nrPages, devicePages - pgoff)}.
     *
     * @throws DaxException EINVAL for {@code pgoff < 0} or {@code nrPages < 1}, ERANGE for
     *                      {@code pgoff} at or past the end
     */
    public static long clamp(String device, long devicePages, long pgoff, long nrPages) {
        if (pgoff < 0) {
            throw new DaxException(Errno.EINVAL, device + ": negative page offset " + pgoff);
        }
        if (nrPages < 1) {
            throw new DaxException(Errno.EINVAL, device + ": page count must be at least 1, got " + nrPages);
        }
        if (pgoff >= devicePages) {
            throw new DaxException(Errno.ERANGE, device + ": page " + pgoff + " is past the end ("
                    + devicePages + " pages)");
        }
        return Math.min(nrPages, devicePages - pgoff);
    }
}
