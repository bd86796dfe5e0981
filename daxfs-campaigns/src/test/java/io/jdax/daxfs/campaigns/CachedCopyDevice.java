package io.jdax.daxfs.campaigns;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Kaddr;

import java.util.Optional;

/**
 * A broken driver for the proof tests: a persistent device whose copy is the plain nocache copy
 * (cached stores from heap sources, never written back), as if it had forgotten the write-back
 * the seed review is about. Its pages are the real device's; everything else is the core's.
 */
final class CachedCopyDevice extends DaxDevice {

    CachedCopyDevice(DaxDevice real) {
        super(new Info(real.name() + "-cached-copy", real.spec(), real.size(), real.alignment(), real.persistence(),
                real.persistenceReason(), real.badBlocks().orElse(null), CLOSE_TIMEOUT), real.arch(), new Ops(real));
    }

    private static final class Ops implements DaxOperations {
        private final DaxDevice real;

        Ops(DaxDevice real) {
            this.real = real;
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            DirectAccess da = real.directAccess(pgoff, nrPages, mode);
            kaddr.set(da.addr(), 0);
            return da.nrPages();
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            // the bug: a copy of its own that is not durable, instead of the core's flushcache fallback
            return Optional.of(real.arch()::copyFromIterNocache);
        }

        @Override
        public void flush() {
            real.flush();
        }

        @Override
        public void release() {
            real.close();
        }
    }
}
