package io.jdax.dax;

import io.jdax.arch.Arch;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open DAX device, the kernel's {@code struct dax_device} and {@code drivers/dax/super.c}
 * (contract C11): byte-addressable memory in pages, read, written and persisted through this core,
 * which owns what every device shares and hands the rest to its driver's {@link DaxOperations}.
 * <ul>
 *   <li><b>Lifetime.</b> Every operation runs inside the device's read side; {@link #close()}
 *       refuses new ones (ENXIO), waits for those inside and for {@link #readLock() read locks},
 *       then {@link DaxOperations#release() releases} the memory once. Nothing touches memory
 *       after it is released, whatever threads do. A {@link #hold holder} (a mounted filesystem)
 *       hears of the close first and loses its hold at the release.</li>
 *   <li><b>Checks.</b> Page and byte ranges, counts and iterator directions are checked here, with
 *       the same errno and wording for every driver, before the driver sees a call.</li>
 *   <li><b>The chunk loop.</b> {@link #copyFromIter}, {@link #copyToIter}, {@link #zero} and
 *       {@link #flushRange} walk the driver's {@code directAccess} chunks (a driver may answer
 *       one page at a time) and copy each with the driver's own operation or the core's one
 *       fallback, chosen once when the device is made (DESIGN.md C11).</li>
 * </ul>
 * <b>For driver authors:</b> implement {@link DaxOperations} and return
 * {@code new DaxDevice(info, arch, ops)} from {@link DaxDriver#open}, or a subclass that adds
 * what is the driver's own (the core's methods are final).
 * <p>
 * Thread-safe. Memory from {@link #directAccess} is valid only while the device is open: hold a
 * {@link #readLock()} across a directAccess and the accesses that follow, as the kernel holds
 * {@code dax_read_lock}.
 */
public class DaxDevice implements AutoCloseable {

    /** The kernel's {@code PAGE_SIZE}: the unit of {@link #directAccess}. */
    public static final int PAGE_SIZE = 4096;
    private static final int PAGE_SHIFT = 12;

    /** How long {@link #close()} waits for operations and read locks by default. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * What a driver knows of a device when it hands it to the core.
     *
     * @param name              the device's name, e.g. {@code pmem0} or the brd name
     * @param spec              the specification it was opened with
     * @param size              capacity in bytes, a positive multiple of {@link #PAGE_SIZE}
     * @param alignment         the alignment of its memory, a power of two, at least a page
     * @param persistence       how stores become durable (C7)
     * @param persistenceReason why it got that mode, e.g. "MAP_SYNC not supported on tmpfs"
     * @param badBlocks         its bad-block list, or null for a device that tracks none
     * @param closeTimeout      how long {@link #close()} waits for callers before EBUSY
     */
    public record Info(String name, DeviceSpec spec, long size, long alignment, PersistenceMode persistence,
                       String persistenceReason, BadBlocks badBlocks, Duration closeTimeout) {
        /** Checks what every device must be. */
        public Info {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(persistence, "persistence");
            Objects.requireNonNull(persistenceReason, "persistenceReason");
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            if (size <= 0 || size % PAGE_SIZE != 0) {
                throw new DaxException(Errno.EINVAL, name + ": size " + size + " is not a positive multiple of "
                        + PAGE_SIZE);
            }
            if (alignment < PAGE_SIZE || Long.bitCount(alignment) != 1) {
                throw new DaxException(Errno.EINVAL, name + ": alignment " + alignment
                        + " is not a power of two of at least a page");
            }
        }

        /** A device without bad blocks, closing with the default timeout. */
        public Info(String name, DeviceSpec spec, long size, long alignment, PersistenceMode persistence,
                    String persistenceReason) {
            this(name, spec, size, alignment, persistence, persistenceReason, null, CLOSE_TIMEOUT);
        }
    }

    private static final VarHandle SOLE_USER;

    static {
        try {
            SOLE_USER = MethodHandles.lookup().findVarHandle(DaxDevice.class, "soleUser", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64 * 1024]).asReadOnly();

    private final Info info;
    private final long nrPages;
    private final Arch arch;
    private final DaxOperations ops;
    private final ReadSide readSide;
    private final AtomicBoolean released = new AtomicBoolean();
    // The copies, chosen once: the driver's own or the core's fallback (C11).
    private final DaxOperations.CopyFromIter copyFrom;
    private final DaxOperations.CopyToIter copyTo;
    private final DaxOperations.CopyFromIter recovery;
    private final DaxOperations.ZeroPageRange zeroPages;
    private final DaxOperations.FlushRange flushRange;
    private final boolean ordersStores; // cache instructions on memory that persists: see wrote()
    private volatile boolean shared; // a second thread has written or flushed: see share()
    private volatile boolean drained; // and the process barrier after it has run
    private final Object shareLock = new Object();
    @SuppressWarnings("unused") // SOLE_USER
    private volatile Thread soleUser;
    private final DaxOperations.DeepFlush deepFlush;
    private final boolean ownCopyFromIter;
    private final boolean ownCopyToIter;
    private final Optional<String> identity;
    private final DaxOperations.ClaimExclusive claimExclusive;
    private final Object holderLock = new Object();
    private DaxHolder holder; // guarded by holderLock
    private boolean closing; // guarded by holderLock: set by the first close, before its holder hears of it

    /**
     * Makes the device a driver opened.
     *
     * @param info what the device is
     * @param arch the CPU primitives it uses (the one {@link DaxDriver#open} was given)
     * @param ops  the driver's operations
     */
    public DaxDevice(Info info, Arch arch, DaxOperations ops) {
        this.info = Objects.requireNonNull(info, "info");
        this.arch = Objects.requireNonNull(arch, "arch");
        this.ops = Objects.requireNonNull(ops, "ops");
        this.nrPages = info.size() / PAGE_SIZE;
        this.readSide = new ReadSide(arch::processBarrier);
        Optional<DaxOperations.CopyFromIter> own = ops.copyFromIter();
        this.ownCopyFromIter = own.isPresent();
        // The fallback: durable (non-temporal, cached edges written back) where the CPU cache is
        // all that stands between a store and the media; a PERSISTENT_CACHE device keeps what it
        // stores in a cache inside the persistence domain (flush() fences it there), so it gets
        // the eADR copy, which writes nothing back; plain non-temporal elsewhere.
        this.copyFrom = own.orElse(switch (info.persistence()) {
            case CPU_CACHE -> arch::copyFromIterFlushcache;
            case PERSISTENT_CACHE -> arch::copyFromIterEadr;
            case PAGE_CACHE, VOLATILE -> arch::copyFromIterNocache;
        });
        Optional<DaxOperations.CopyToIter> ownTo = ops.copyToIter();
        this.ownCopyToIter = ownTo.isPresent();
        this.copyTo = ownTo.orElse(arch::copyToIterMc);
        this.recovery = ops.recoveryWrite().orElse(null);
        this.zeroPages = ops.zeroPageRange().orElse(null);
        this.flushRange = ops.flushRange().orElse(null);
        // Shared from the start (every write fences itself) where a late switch could not drain
        // the sole user's stores: no process barrier. Cached stores (an Arch without write-back
        // has no others) and volatile memory need no fence at all: never shared.
        this.ordersStores = arch.hasCacheWriteback() && info.persistence() != PersistenceMode.VOLATILE;
        this.shared = ordersStores && readSide.fenced();
        this.drained = shared;
        this.deepFlush = ops.deepFlush().orElse(null);
        this.identity = Objects.requireNonNull(ops.identity(), "the driver's identity");
        this.claimExclusive = ops.claimExclusive().orElse(null);
    }

    // ---- what the device is

    /** The device's name, e.g. {@code pmem0} or the brd name. */
    public final String name() {
        return info.name();
    }

    /** The specification the device was opened with. */
    public final DeviceSpec spec() {
        return info.spec();
    }

    /** Capacity in bytes, a multiple of {@link #pageSize()}. */
    public final long size() {
        return info.size();
    }

    /** The page size of {@link #directAccess}: {@value #PAGE_SIZE}. */
    public final int pageSize() {
        return PAGE_SIZE;
    }

    /** Capacity in pages. */
    public final long nrPages() {
        return nrPages;
    }

    /** The alignment of the device's memory, e.g. 2 MiB for device DAX; at least the page size. */
    public final long alignment() {
        return info.alignment();
    }

    /** How stores become durable on this device (C7). */
    public final PersistenceMode persistence() {
        return info.persistence();
    }

    /** Why the device got its persistence mode. */
    public final String persistenceReason() {
        return info.persistenceReason();
    }

    /** The CPU primitives this device uses, for its own copies and the core's fallbacks. */
    public final Arch arch() {
        return arch;
    }

    /** The device's bad-block list, for devices that track poisoned media. */
    public final Optional<BadBlocks> badBlocks() {
        return Optional.ofNullable(info.badBlocks());
    }

    /** Whether the driver writes with its own {@code copyFromIter} (else the core's fallback). */
    public final boolean hasOwnCopyFromIter() {
        return ownCopyFromIter;
    }

    /** Whether the driver reads with its own {@code copyToIter} (else {@link Arch#copyToIterMc}). */
    public final boolean hasOwnCopyToIter() {
        return ownCopyToIter;
    }

    /** Whether the driver zeroes whole pages itself ({@code zeroPageRange}). */
    public final boolean hasZeroPageRange() {
        return zeroPages != null;
    }

    /** Whether the driver repairs poison with its own {@code recoveryWrite}. */
    public final boolean hasRecoveryWrite() {
        return recovery != null;
    }

    /** Whether the driver offers a {@link #deepFlush()} beyond {@link #flush()}. */
    public final boolean hasDeepFlush() {
        return deepFlush != null;
    }

    /**
     * The unsafe shutdown count of the memory under the device, read now: a count, unsupported,
     * or unreadable (C12, {@link UnsafeShutdownCount}).
     *
     * @throws DaxException ENXIO after close
     */
    public final UnsafeShutdownCount unsafeShutdownCount() {
        ReadSide.Reader r = readSide.enter(this);
        try {
            return Objects.requireNonNull(ops.unsafeShutdownCount(), "the driver's unsafeShutdownCount");
        } finally {
            ReadSide.exit(r);
        }
    }

    /**
     * What the driver learnt from the platform about this device, in display order (C12): each
     * value a fact and its reason, for {@code jdax info --device}. Empty for a driver that says
     * nothing.
     */
    public final Map<String, String> facts() {
        return ops.facts();
    }

    /**
     * What memory this device is, as its driver tells it ({@link DaxOperations#identity()}): equal
     * for two opens of the same memory through any name. Empty for memory only this open reaches
     * (brd): then the device object is its identity.
     */
    public final Optional<String> identity() {
        return identity;
    }

    /** Whether the driver can claim the memory against other processes too ({@link DaxOperations#claimExclusive()}). */
    public final boolean hasClaimExclusive() {
        return claimExclusive != null;
    }

    /** Whether readers fence on entry (the Arch has no process-wide barrier), for {@code jdax info}. */
    public final boolean readSideFenced() {
        return readSide.fenced();
    }

    // ---- lifetime

    /** False once {@link #close()} has begun. */
    public final boolean isAlive() {
        return readSide.isAlive();
    }

    /**
     * Keeps the device from closing until the returned lock is closed ({@code dax_read_lock}):
     * its memory stays valid meanwhile. Nests; costs a store to the calling thread's own counter.
     * Close the lock exactly once, in the thread that took it (try-with-resources).
     *
     * @throws DaxException ENXIO if the device is closed
     */
    public final DaxReadLock readLock() {
        return readSide.enter(this);
    }

    /**
     * Holds the device for one user, e.g. a filesystem for as long as it is mounted
     * ({@code fs_dax_get_by_bdev} with a holder): one holder at a time, and, where the driver has
     * one, its {@link DaxOperations#claimExclusive() exclusive claim} keeps other opens of the
     * same memory, in this process or another, from holding it meanwhile. When the device closes,
     * the holder hears of it first ({@link DaxHolderOperations#notifyPreRemove}), and the hold
     * ends once the device is released.
     *
     * @param holder who holds it, for messages, e.g. "daxfs mount"
     * @param ops    what the device tells the holder
     * @return the hold; close it to give the device back
     * @throws DaxException EBUSY if it is held already (naming by whom), or the driver's claim
     *                      fails (another open holds the memory); ENXIO once close has begun
     */
    public final DaxHolder hold(String holder, DaxHolderOperations ops) {
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(ops, "ops");
        ReadSide.Reader r = readSide.enter(this);
        try {
            synchronized (holderLock) {
                if (closing) {
                    throw closed();
                }
                if (this.holder != null) {
                    throw new DaxException(Errno.EBUSY, "device " + name() + " is held already, by "
                            + this.holder.holder());
                }
                DaxOperations.Claim claim = claimExclusive == null ? null
                        : Objects.requireNonNull(claimExclusive.claimExclusive(holder), "the driver's claim");
                this.holder = new DaxHolder(this, holder, ops, claim);
                return this.holder;
            }
        } finally {
            ReadSide.exit(r);
        }
    }

    final boolean holds(DaxHolder h) {
        synchronized (holderLock) {
            return holder == h;
        }
    }

    /** Ends {@code h}'s hold if it is the current one ({@code fs_put_dax}). */
    final void unhold(DaxHolder h) {
        synchronized (holderLock) {
            if (holder == h) {
                holder = null;
                if (h.claim != null) {
                    h.claim.close(); // under the lock: release() cannot have run, the driver's file is open
                }
            }
        }
    }

    /**
     * Closes the device: its holder hears of it first ({@link DaxHolderOperations#notifyPreRemove},
     * as {@code kill_dax} tells it), then new operations fail with ENXIO; operations in flight and
     * read locks are waited for; then the hold ends and the driver releases the memory, once.
     * Closing again does nothing more.
     *
     * @throws DaxException EBUSY if callers are still inside after the close timeout, or if the
     *                      calling thread holds a read lock (the device stays closed to new
     *                      operations; a later close waits again and then releases)
     */
    @Override
    public final void close() {
        DaxHolder h = null;
        synchronized (holderLock) {
            if (!closing) {
                closing = true;
                h = holder;
            }
        }
        try {
            if (h != null) {
                h.ops.notifyPreRemove(this);
            }
        } finally {
            readSide.kill(this, info.closeTimeout());
            if (released.compareAndSet(false, true)) {
                synchronized (holderLock) {
                    if (holder != null) {
                        unhold(holder); // nobody is inside: the claim goes before the driver's file does
                    }
                }
                ops.release();
            }
        }
    }

    /** The exception for a call on a closed device. */
    public final DaxException closed() {
        return new DaxException(Errno.ENXIO, "device " + name() + " is closed");
    }

    // ---- the operations

    /**
     * Translates a page offset to device memory ({@code dax_direct_access}).
     *
     * @param pgoff   the first page wanted, {@code 0 <= pgoff < nrPages()}
     * @param nrPages how many pages the caller would like, at least one
     * @param mode    what the caller will do with the memory
     * @return the memory at {@code pgoff} and how many contiguous pages it covers: at least one,
     *         never more than asked; read-only for {@link DaxAccessMode#READ}; callers loop
     * @throws DaxException EINVAL for {@code pgoff < 0}, {@code nrPages < 1} or no mode; ERANGE for
     *                      a page past the end; EIO for a range holding a bad block unless
     *                      {@code mode} is {@link DaxAccessMode#RECOVERY_WRITE}; ENXIO after close
     */
    public final DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
        if (mode == null) {
            throw new DaxException(Errno.EINVAL, name() + ": directAccess needs an access mode");
        }
        long n = checkPages(pgoff, nrPages);
        ReadSide.Reader r = readSide.enter(this);
        try {
            long pages = access(r.kaddr, pgoff, n, mode);
            MemorySegment addr = r.kaddr.memory().asSlice(r.kaddr.offset(), pages * PAGE_SIZE);
            return new DirectAccess(mode == DaxAccessMode.READ ? addr.asReadOnly() : addr, pages);
        } finally {
            r.kaddr.clear();
            ReadSide.exit(r);
        }
    }

    /**
     * Writes up to {@code bytes} from {@code iter} at device byte {@code pos}, chunk by chunk
     * ({@code dax_copy_from_iter} in the loop of {@code dax_iomap_iter}): with the driver's own
     * copy, else the core's fallback; a chunk over poisoned memory is retried as a recovery write
     * when the driver has one. Advances the iterator. Durable after {@link #flush()} on any thread;
     * the non-temporal stores are weakly ordered, so other threads are sure to see the bytes in
     * order only once they are fenced (this thread's {@code flush()}): flush, then publish (C11).
     *
     * @return the bytes written, {@code min(bytes, iter.count())}; fewer only when a copy came up
     *         short or an error stopped the loop after some bytes (the next call meets it again)
     * @throws DaxException EINVAL for a negative position or count or a DEST iterator; ERANGE when
     *                      the write would pass the end (nothing is written); EFAULT when the copy
     *                      moved nothing; the device's error when no byte was written; ENXIO after close
     */
    public final long copyFromIter(long pos, long bytes, IovIter iter) {
        Objects.requireNonNull(iter, "iter");
        if (iter.direction() != IovIter.Direction.SOURCE) {
            throw new DaxException(Errno.EINVAL, name() + ": a write needs a SOURCE iterator, not " + iter);
        }
        long n = checkBytes(pos, bytes, iter.count());
        if (n == 0) {
            return 0;
        }
        ReadSide.Reader r = readSide.enter(this);
        long done = 0;
        try {
            Kaddr k = r.kaddr;
            while (done < n) {
                long p = pos + done;
                long inPage = p & (PAGE_SIZE - 1);
                long want = pagesOver(inPage + (n - done));
                boolean recover = false;
                long pages;
                try {
                    pages = access(k, p >>> PAGE_SHIFT, want, DaxAccessMode.WRITE);
                } catch (DaxException e) {
                    if (recovery == null || (e.errno() != Errno.EIO && e.errno() != Errno.EHWPOISON)) {
                        throw e;
                    }
                    pages = access(k, p >>> PAGE_SHIFT, want, DaxAccessMode.RECOVERY_WRITE);
                    recover = true;
                }
                long len = Math.min(pages * PAGE_SIZE - inPage, n - done);
                long x = (recover ? recovery : copyFrom).copyFromIter(k.memory(), k.offset() + inPage, len, iter);
                done += checkCopied(x, len, p);
                if (x < len) {
                    break; // a short copy ends the I/O, as in fs/dax.c
                }
            }
            return done;
        } catch (RuntimeException e) {
            if (done == 0) {
                throw e;
            }
            return done; // bytes done win over the error
        } finally {
            r.kaddr.clear();
            wrote();
            ReadSide.exit(r);
        }
    }

    /**
     * The end of a write through the core (C2 across threads, C11): a fence orders only its own
     * core's non-temporal stores and write-backs, so once a second thread writes or flushes, every
     * write fences itself before it returns; while one thread does all of it, its own flush's
     * fence suffices and nothing is added (C11).
     */
    private void wrote() {
        // A virtual thread may move to another carrier (another core) before its flush: its
        // writes always fence themselves.
        if (ordersStores && (shared || !soleUser() || Thread.currentThread().isVirtual())) {
            arch.fence();
        }
    }

    /** The start of a flush: a second thread makes the device shared (see {@link #wrote()}). */
    private void flushing() {
        if (ordersStores && !drained) {
            soleUser();
        }
    }

    /**
     * Whether the calling thread is the only one that has written or flushed through the core;
     * the first other one makes the device shared for good ({@link #share}).
     */
    private boolean soleUser() {
        Thread t = Thread.currentThread();
        Object u = SOLE_USER.getAcquire(this);
        if (u == t || (u == null && SOLE_USER.compareAndSet(this, null, t))) {
            return true;
        }
        share();
        return false;
    }

    /**
     * Writers fence themselves from now on ({@code shared}, set first), then the process barrier
     * ({@code membarrier(2)}) completes the sole user's writes made before; a sole user's write
     * that ends after the barrier reads {@code shared} as set and fences itself. Flushes rely on
     * it only once the barrier has run ({@code drained}): one thread runs it, the others wait.
     */
    private void share() {
        synchronized (shareLock) {
            if (!drained) {
                shared = true;
                if (!arch.processBarrier()) {
                    // cannot happen: without a process barrier the device was shared from the start
                    throw new IllegalStateException("no process barrier for a device made shared late");
                }
                drained = true;
            }
        }
    }

    /**
     * Reads up to {@code bytes} at device byte {@code pos} into {@code iter}, chunk by chunk, with
     * the driver's own read or {@link Arch#copyToIterMc}. Advances the iterator.
     *
     * @return the bytes read; fewer only as for {@link #copyFromIter}
     * @throws DaxException as {@link #copyFromIter}, for a SOURCE iterator EINVAL
     */
    public final long copyToIter(long pos, long bytes, IovIter iter) {
        Objects.requireNonNull(iter, "iter");
        if (iter.direction() != IovIter.Direction.DEST) {
            throw new DaxException(Errno.EINVAL, name() + ": a read needs a DEST iterator, not " + iter);
        }
        long n = checkBytes(pos, bytes, iter.count());
        if (n == 0) {
            return 0;
        }
        ReadSide.Reader r = readSide.enter(this);
        long done = 0;
        try {
            Kaddr k = r.kaddr;
            while (done < n) {
                long p = pos + done;
                long inPage = p & (PAGE_SIZE - 1);
                long pages = access(k, p >>> PAGE_SHIFT, pagesOver(inPage + (n - done)), DaxAccessMode.READ);
                long len = Math.min(pages * PAGE_SIZE - inPage, n - done);
                long x = copyTo.copyToIter(k.memory(), k.offset() + inPage, len, iter);
                done += checkCopied(x, len, p);
                if (x < len) {
                    break;
                }
            }
            return done;
        } catch (RuntimeException e) {
            if (done == 0) {
                throw e;
            }
            return done;
        } finally {
            r.kaddr.clear();
            ReadSide.exit(r);
        }
    }

    /**
     * Stores zeros over device bytes {@code [pos, pos + bytes)}: whole pages with the driver's
     * {@code zeroPageRange} when it has one, the rest through the write path, so the zeros persist
     * as data does (after {@link #flush()}).
     *
     * @throws DaxException EINVAL for a negative position or count; ERANGE past the end; the
     *                      device's error; ENXIO after close
     */
    public final void zero(long pos, long bytes) {
        checkBytes(pos, bytes, bytes);
        ReadSide.Reader r = readSide.enter(this);
        try {
            long end = pos + bytes;
            while (pos < end) {
                if ((pos & (PAGE_SIZE - 1)) == 0 && end - pos >= PAGE_SIZE && zeroPages != null) {
                    long pages = (end - pos) / PAGE_SIZE;
                    try {
                        zeroPages.zeroPageRange(pos / PAGE_SIZE, pages);
                    } finally {
                        wrote();
                    }
                    pos += pages * PAGE_SIZE;
                    continue;
                }
                // up to the next page boundary, or all of it without zeroPageRange
                long n = zeroPages != null ? Math.min(end - pos, PAGE_SIZE - (pos & (PAGE_SIZE - 1))) : end - pos;
                long x = copyFromIter(pos, n, zeros(n));
                if (x != n) {
                    throw new DaxException(Errno.EIO, name() + ": stored " + x + " of " + n + " zero bytes at byte " + pos);
                }
                pos += n;
            }
        } finally {
            ReadSide.exit(r);
        }
    }

    /**
     * Zeroes whole pages durably ({@code dax_zero_page_range}): the driver's {@code zeroPageRange},
     * else zeros through the write path.
     *
     * @throws DaxException EINVAL for {@code pgoff < 0} or {@code nrPages < 1}; ERANGE for pages
     *                      past the end (nothing is zeroed); ENXIO after close
     */
    public final void zeroPageRange(long pgoff, long nrPages) {
        if (checkPages(pgoff, nrPages) != nrPages) {
            throw new DaxException(Errno.ERANGE, name() + ": pages [" + pgoff + ", +" + nrPages
                    + ") go past the end (" + this.nrPages + " pages)");
        }
        zero(pgoff * PAGE_SIZE, nrPages * PAGE_SIZE);
    }

    /**
     * Makes stores made through {@link #directAccess} memory in device bytes
     * {@code [pos, pos + bytes)} durable ({@code dax_flush}): the driver's own flush of a range,
     * else write-back and fence for {@link PersistenceMode#CPU_CACHE}; a fence alone for
     * {@link PersistenceMode#PERSISTENT_CACHE} (the caches are persistent); for
     * {@link PersistenceMode#PAGE_CACHE} a write {@code directAccess} over the range (so the
     * driver counts its pages as written) and {@link #flush()}; nothing for
     * {@link PersistenceMode#VOLATILE}.
     *
     * @throws DaxException EINVAL/ERANGE for a bad range; EIO if the range could not be made
     *                      durable; ENXIO after close
     */
    public final void flushRange(long pos, long bytes) {
        checkBytes(pos, bytes, bytes);
        ReadSide.Reader r = readSide.enter(this);
        try {
            flushing();
            if (flushRange != null) {
                flushRange.flushRange(pos, bytes);
            } else if (persistence() == PersistenceMode.PERSISTENT_CACHE) {
                arch.fence(); // the stores are in a persistent cache: ordering them is all it takes
            } else if (persistence() != PersistenceMode.VOLATILE) {
                // CPU_CACHE: write the range back; PAGE_CACHE: announce its pages as written (a
                // write directAccess, as stores through the memory would have), then flush them.
                boolean cpu = persistence() == PersistenceMode.CPU_CACHE;
                Kaddr k = r.kaddr;
                for (long p = pos, end = pos + bytes; p < end; ) {
                    long inPage = p & (PAGE_SIZE - 1);
                    long pages = access(k, p >>> PAGE_SHIFT, pagesOver(inPage + (end - p)),
                            cpu ? DaxAccessMode.READ : DaxAccessMode.WRITE);
                    long len = Math.min(pages * PAGE_SIZE - inPage, end - p);
                    if (cpu) {
                        arch.writeback(k.memory(), k.offset() + inPage, len);
                    }
                    p += len;
                }
                if (cpu) {
                    arch.fence();
                } else {
                    ops.flush();
                }
            }
        } finally {
            r.kaddr.clear();
            ReadSide.exit(r);
        }
    }

    /**
     * The durability point ({@code dax_flush}/{@code nvdimm_flush}): when it returns, every byte
     * written before it through {@link #copyFromIter}, {@link #zero} and {@link #zeroPageRange}
     * survives power loss, for devices that persist at all, whichever thread wrote it (C2). The
     * driver's flush fences the calling thread's own stores; once a second thread uses the device,
     * the core runs the Arch's process barrier ({@code membarrier(2)}) and every later write fences
     * itself (C11).
     *
     * @throws DaxException EIO if the data could not be made durable; ENXIO after close
     */
    public final void flush() {
        ReadSide.Reader r = readSide.enter(this);
        try {
            flushing();
            ops.flush();
        } finally {
            ReadSide.exit(r);
        }
    }

    /**
     * {@link #flush()}, then the driver's deep flush where it has one
     * ({@code pmem2_deep_flush}: for an nvdimm region, its {@code deep_flush} attribute, which
     * drains the memory controllers' write-pending queues). Expensive: a system call and the
     * platform's flush; for the points where a program wants its data past every queue (daxfs
     * calls it at unmount), never per write. A device without one gets {@link #flush()} only.
     *
     * @throws DaxException as {@link #flush()}; EACCES when this user may not ask for the deep
     *                      flush (the message names the file and the fix; what was flushed stays
     *                      flushed); ENXIO after close
     */
    public final void deepFlush() {
        ReadSide.Reader r = readSide.enter(this);
        try {
            flushing();
            ops.flush();
            if (deepFlush != null) {
                deepFlush.deepFlush();
            }
        } finally {
            ReadSide.exit(r);
        }
    }

    @Override
    public String toString() {
        return name() + " (" + Sizes.format(size()) + ", " + persistence() + ")";
    }

    // ---- checks, made once here for every driver (messages built only when failing)

    /** The driver's answer for pages the core has checked, itself checked. */
    private long access(Kaddr k, long pgoff, long nrPages, DaxAccessMode mode) {
        long pages = ops.directAccess(pgoff, nrPages, mode, k);
        MemorySegment m = k.memory();
        if (pages < 1 || pages > nrPages || m == null || k.offset() < 0
                || k.offset() > m.byteSize() - pages * PAGE_SIZE) {
            throw new DaxException(Errno.EIO, name() + ": the driver answered directAccess(" + pgoff + ", " + nrPages
                    + ") with " + pages + " page(s) at " + (m == null || k.offset() < 0 ? "no memory (Kaddr not set)"
                    : "byte " + k.offset() + " of " + m)
                    + ": it must answer 1 to " + nrPages + " pages lying in the memory it sets");
        }
        return pages;
    }

    /** The pages over {@code bytes >= 0} bytes from a page start: a shift, where ceilDiv divides. */
    private static long pagesOver(long bytes) {
        return (bytes + PAGE_SIZE - 1) >>> PAGE_SHIFT;
    }

    /** Checks a page range and returns how many of its pages lie on the device. */
    private long checkPages(long pgoff, long count) {
        if (pgoff < 0) {
            throw new DaxException(Errno.EINVAL, name() + ": negative page offset " + pgoff);
        }
        if (count < 1) {
            throw new DaxException(Errno.EINVAL, name() + ": page count must be at least 1, got " + count);
        }
        if (pgoff >= nrPages) {
            throw new DaxException(Errno.ERANGE, name() + ": page " + pgoff + " is past the end (" + nrPages
                    + " pages)");
        }
        return Math.min(count, nrPages - pgoff);
    }

    /** Checks a byte range of {@code min(bytes, available)} bytes from {@code pos} and returns its length. */
    private long checkBytes(long pos, long bytes, long available) {
        if (pos < 0 || bytes < 0) {
            throw new DaxException(Errno.EINVAL, name() + ": negative " + (pos < 0 ? "position " + pos : "length " + bytes));
        }
        long n = Math.min(bytes, available);
        if (pos > size() - n) {
            throw new DaxException(Errno.ERANGE, name() + ": bytes [" + pos + ", +" + n + ") go past the end of the "
                    + size() + "-byte device");
        }
        return n;
    }

    private long checkCopied(long x, long len, long pos) {
        if (x < 0 || x > len) {
            throw new DaxException(Errno.EIO, name() + ": a copy reported " + x + " bytes of a " + len + "-byte chunk");
        }
        if (x == 0) {
            throw new DaxException(Errno.EFAULT, name() + ": no byte of the " + len + "-byte chunk at byte " + pos
                    + " could be copied");
        }
        return x;
    }

    private static IovIter zeros(long n) {
        if (n <= ZEROS.byteSize()) {
            return IovIter.kvec(IovIter.Direction.SOURCE, java.util.List.of(ZEROS.asSlice(0, n)));
        }
        java.util.List<MemorySegment> segs = new java.util.ArrayList<>();
        for (long left = n; left > 0; left -= ZEROS.byteSize()) {
            segs.add(ZEROS.asSlice(0, Math.min(left, ZEROS.byteSize())));
        }
        return IovIter.kvec(IovIter.Direction.SOURCE, segs);
    }
}
