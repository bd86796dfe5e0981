package io.jdax.cli.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

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
        return new Faulty(DaxDevices.open(pmem.toString(), arch), spec, fault);
    }

    private record Faulty(DaxDevice real, DeviceSpec spec, String fault) implements DaxDevice {
        @Override
        public String name() {
            return "faulty-" + real.name();
        }

        @Override
        public long size() {
            return real.size();
        }

        @Override
        public long alignment() {
            return real.alignment();
        }

        @Override
        public PersistenceMode persistence() {
            return real.persistence();
        }

        @Override
        public String persistenceReason() {
            return real.persistenceReason();
        }

        @Override
        public Arch arch() {
            return real.arch();
        }

        @Override
        public boolean isAlive() {
            return real.isAlive();
        }

        @Override
        public DaxReadLock readLock() {
            return real.readLock();
        }

        @Override
        public void close() {
            real.close();
        }

        @Override
        public DaxOperations operations() {
            DaxOperations ops = real.operations();
            return new DaxOperations() {
                @Override
                public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
                    return ops.directAccess(pgoff, nrPages, mode);
                }

                @Override
                public Optional<CopyFromIter> copyFromIter() {
                    Optional<CopyFromIter> copy = ops.copyFromIter();
                    if (!fault.equals("drop-last-byte") || copy.isEmpty()) {
                        return copy;
                    }
                    return Optional.of((MemorySegment addr, long bytes, IovIter iter) -> {
                        long n = Math.min(bytes, iter.count());
                        if (n == 0) {
                            return 0;
                        }
                        long done = copy.get().copyFromIter(addr, n - 1, iter);
                        iter.advance(1); // the byte is claimed, never stored
                        return done + 1;
                    });
                }

                @Override
                public Optional<CopyToIter> copyToIter() {
                    return ops.copyToIter();
                }

                @Override
                public void flush() {
                    if (!fault.equals("no-flush")) {
                        ops.flush();
                    }
                }
            };
        }
    }
}
