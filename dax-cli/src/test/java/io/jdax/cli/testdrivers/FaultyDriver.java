package io.jdax.cli.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;

/**
 * A deliberately broken driver for the command's tests: {@code faulty:PATH?fault=...[&size=...&create=true]}
 * is the pmem device over PATH with one fault:
 * <ul>
 *   <li>{@code drop-last-byte}: copyFromIter leaves the last byte of every copy unwritten yet
 *       reports it copied (bench's verification must catch it);</li>
 *   <li>{@code no-flush}: flush() does nothing, not even the fence (crash campaigns must lose
 *       acknowledged data);</li>
 *   <li>{@code none}: no fault.</li>
 * </ul>
 * Its operations run on the pmem device opened inside it: every page is answered in that device's
 * whole mapping, so a copy's offset is a device position the inner device's own copies take.
 */
public final class FaultyDriver implements DaxDriver {

    /** Called by the ServiceLoader. */
    public FaultyDriver() {
    }

    @Override
    public String scheme() {
        return "faulty";
    }

    @Override
    public String description() {
        return "test driver: pmem with a fault, faulty:PATH?fault=drop-last-byte|no-flush|none";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of("fault", "size", "create"));
        String fault = spec.param("fault").orElse("none");
        if (!Set.of("drop-last-byte", "no-flush", "none").contains(fault)) {
            throw new DaxException(Errno.EINVAL, "faulty: unknown fault '" + fault + "'");
        }
        StringBuilder pmem = new StringBuilder("pmem:").append(spec.path());
        String sep = "?";
        for (String k : new String[] {"size", "create"}) {
            if (spec.param(k).isPresent()) {
                pmem.append(sep).append(k).append('=').append(spec.param(k).get());
                sep = "&";
            }
        }
        DaxDevice real = DaxDevices.open(pmem.toString(), arch);
        try {
            DaxDevice.Info info = new DaxDevice.Info("faulty-" + real.name(), spec, real.size(), real.alignment(),
                    real.persistence(), real.persistenceReason());
            return new DaxDevice(info, arch, new Faulty(real, fault));
        } catch (RuntimeException e) {
            real.close();
            throw e;
        }
    }

    private static final class Faulty implements DaxOperations {
        private final DaxDevice real;
        /** The real device's whole mapping: a kaddr offset in it is a device position. */
        private final MemorySegment memory;
        private final String fault;

        Faulty(DaxDevice real, String fault) {
            this.real = real;
            this.fault = fault;
            // WRITE, for writable memory; on a page-cache file the first flush then msyncs it all, once
            DirectAccess all = real.directAccess(0, real.nrPages(), DaxAccessMode.WRITE);
            if (all.nrPages() != real.nrPages()) {
                throw new DaxException(Errno.EIO, "faulty needs the whole pmem mapping at once, got " + all.nrPages()
                        + " of " + real.nrPages() + " pages");
            }
            this.memory = all.addr();
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            long n = real.directAccess(pgoff, nrPages, mode).nrPages(); // the real device's answer and checks
            kaddr.set(memory, pgoff * DaxDevice.PAGE_SIZE);
            return n;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            if (!real.hasOwnCopyFromIter()) {
                return Optional.empty();
            }
            if (!fault.equals("drop-last-byte")) {
                return Optional.of((mem, off, bytes, iter) -> real.copyFromIter(off, bytes, iter));
            }
            return Optional.of((mem, off, bytes, iter) -> {
                long n = Math.min(bytes, iter.count());
                if (n == 0) {
                    return 0;
                }
                long done = real.copyFromIter(off, n - 1, iter);
                iter.advance(1); // the byte is claimed, never stored
                return done + 1;
            });
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return real.hasOwnCopyToIter()
                    ? Optional.of((mem, off, bytes, iter) -> real.copyToIter(off, bytes, iter)) : Optional.empty();
        }

        @Override
        public void flush() {
            if (!fault.equals("no-flush")) {
                real.flush();
            }
        }

        @Override
        public void release() {
            real.close();
        }
    }
}
