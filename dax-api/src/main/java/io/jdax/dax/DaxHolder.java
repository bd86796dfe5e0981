package io.jdax.dax;

/**
 * A device held by one user, e.g. a mounted filesystem ({@link DaxDevice#hold}, the kernel's
 * {@code fs_dax_get_by_bdev} with a holder). Closing it gives the device back
 * ({@code fs_put_dax}); closing the device ends it too.
 */
public final class DaxHolder implements AutoCloseable {
    private final DaxDevice device;
    private final String holder;
    final DaxHolderOperations ops;
    /** The driver's claim, or null when it has none; closed once, under the device's holder lock. */
    final DaxOperations.Claim claim;

    DaxHolder(DaxDevice device, String holder, DaxHolderOperations ops, DaxOperations.Claim claim) {
        this.device = device;
        this.holder = holder;
        this.ops = ops;
        this.claim = claim;
    }

    /** The device held. */
    public DaxDevice device() {
        return device;
    }

    /** Who holds it, as given to {@link DaxDevice#hold}. */
    public String holder() {
        return holder;
    }

    /** Whether the device is still held by this: false once closed, or once the device was released. */
    public boolean isHeld() {
        return device.holds(this);
    }

    /** Gives the device back, with the driver's claim. Closing again does nothing. */
    @Override
    public void close() {
        device.unhold(this);
    }

    @Override
    public String toString() {
        return device.name() + " held by " + holder;
    }
}
