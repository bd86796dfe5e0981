package io.jdax.daxfs.fault;

import io.jdax.dax.DaxDevice;
import io.jdax.daxfs.DaxFs;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a power-fail campaign changes in one mount: deliberate bugs ({@link Fault}), and the
 * transaction size at which operations split, lowered so that crashes land between the
 * transactions of a delete or a truncate on a small device (any value is safe: a unit of work
 * always goes ahead after a split). The kernel's fault injection, for one mount instead of a
 * debugfs knob.
 * <p>
 * This package is exported to {@code io.jdax.daxfs.campaigns} only: nothing else can mount a
 * broken filesystem. The values reach the mount through a scoped value bound for the duration
 * of {@link #mount} and for that device alone, so no static state changes and no other mount,
 * not even one in the same call (a crash image judged at a crash point), is affected.
 *
 * @param faults  the bugs to switch on
 * @param txLimit split a transaction when one more unit of work might take it past this many
 *                blocks (the journal's capacity still bounds it)
 */
public record FaultInjection(Set<Fault> faults, int txLimit) {
    private record Mounting(DaxDevice device, FaultInjection injection) {
    }

    private static final ScopedValue<Mounting> MOUNTING = ScopedValue.newInstance();

    /** Checks the values. */
    public FaultInjection {
        faults = Set.copyOf(faults);
        if (txLimit < 1) {
            throw new IllegalArgumentException("txLimit " + txLimit + " must be at least 1");
        }
    }

    /** {@link DaxFs#mount(DaxDevice)} with these faults and this transaction limit. */
    public DaxFs mount(DaxDevice device) {
        Objects.requireNonNull(device, "device");
        return ScopedValue.where(MOUNTING, new Mounting(device, this)).call(() -> DaxFs.mount(device));
    }

    /** For {@link DaxFs}: what {@link #mount} asked for {@code device}, if this thread is in it. */
    public static Optional<FaultInjection> mounting(DaxDevice device) {
        return MOUNTING.isBound() && MOUNTING.get().device() == device
                ? Optional.of(MOUNTING.get().injection()) : Optional.empty();
    }
}
