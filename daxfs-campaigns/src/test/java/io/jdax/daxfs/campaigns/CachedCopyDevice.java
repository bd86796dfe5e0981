package io.jdax.daxfs.campaigns;

import io.jdax.arch.Arch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.PersistenceMode;

import java.util.Optional;

/**
 * A broken driver for the proof tests: a persistent device whose copy is the plain nocache copy
 * (cached stores from heap sources, never written back), as if it had forgotten the write-back
 * the seed review is about. Everything else goes to the real device.
 */
final class CachedCopyDevice implements DaxDevice {
    private final DaxDevice d;
    private final DaxOperations ops;

    CachedCopyDevice(DaxDevice d) {
        this.d = d;
        DaxOperations real = d.operations();
        this.ops = new DaxOperations() {
            @Override
            public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
                return real.directAccess(pgoff, nrPages, mode);
            }

            @Override
            public Optional<CopyFromIter> copyFromIter() {
                return Optional.of(d.arch()::copyFromIterNocache);
            }

            @Override
            public void flush() {
                real.flush();
            }
        };
    }

    @Override
    public String name() {
        return d.name() + "-cached-copy";
    }

    @Override
    public DeviceSpec spec() {
        return d.spec();
    }

    @Override
    public long size() {
        return d.size();
    }

    @Override
    public long alignment() {
        return d.alignment();
    }

    @Override
    public PersistenceMode persistence() {
        return d.persistence();
    }

    @Override
    public String persistenceReason() {
        return d.persistenceReason();
    }

    @Override
    public DaxOperations operations() {
        return ops;
    }

    @Override
    public Arch arch() {
        return d.arch();
    }

    @Override
    public Optional<BadBlocks> badBlocks() {
        return d.badBlocks();
    }

    @Override
    public boolean isAlive() {
        return d.isAlive();
    }

    @Override
    public DaxReadLock readLock() {
        return d.readLock();
    }

    @Override
    public void close() {
        d.close();
    }
}
