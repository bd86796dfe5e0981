package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxHolder;
import io.jdax.dax.Errno;
import io.jdax.daxfs.fault.Fault;
import io.jdax.daxfs.fault.FaultInjection;
import io.jdax.fsdax.DaxIomap;
import io.jdax.fsdax.ExtentMap.Extent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * daxfs: a persistent, crash-consistent filesystem on one DAX device, the persistent sibling of
 * fs-dax's {@link io.jdax.fsdax.memfs.MemFs}. Files live in one flat directory; their data is
 * read, written and mapped through the fs-dax engine ({@link DaxIomap}) straight to and from
 * device memory; {@link DaxFile} holds their {@link io.jdax.fsdax.IomapOps}.
 * <pre>{@code
 * DaxFs.format(device, FormatOptions.defaults());
 * try (DaxFs fs = DaxFs.mount(device)) {
 *     DaxFile f = fs.create("log");
 *     f.write(0, IovIter.kvec(IovIter.Direction.SOURCE, bytes));
 *     f.fsync();
 * }
 * }</pre>
 *
 * <h2>What survives a crash</h2>
 * Every metadata change (create, delete, rename, truncate, fallocate, punch hole, a write that
 * allocates or grows the file) is one journal transaction, atomic and durable when the call
 * returns; a change too large for one transaction is a sequence of them, each a consistent
 * state that mount completes. Data is written in place through the device's durable copy and
 * is durable after {@link DaxFile#fsync()} (or any later metadata change, which fences first).
 * A block reaches a file's map only after its data and the zeros around it are durable, and a
 * freed block is reused only after its release is durable, so no file ever shows another's
 * bytes. Times changed by writes that allocate nothing are persisted by the next transaction on
 * the inode, fsync, or unmount. The format and the commit order are in {@code docs/DAXFS.md}.
 *
 * <h2>Concurrency</h2>
 * Any number of threads may work on different files at once: their data copies run in parallel;
 * their metadata commits are serialised by one journal lock. On one file, reads, stats and
 * mappings share the file; writes, truncate, fallocate, punch hole, delete and rename over it
 * each have it to themselves (the kernel's {@code i_rwsem}). A file's handle stays valid across
 * renames; once the file is deleted (or replaced by a rename), its handle fails with ENOENT.
 * A {@link io.jdax.fsdax.DaxMapping} cannot be revoked: do not use one after truncating,
 * punching or deleting the range it maps.
 */
public final class DaxFs implements AutoCloseable {
    /** The block size: one page, as DAX needs. */
    public static final int BLOCK_SIZE = Geometry.BLOCK;
    /** The longest name, in UTF-8 bytes. */
    public static final int NAME_MAX = 255;
    /** The largest file size: what a block map of height {@value BlockMap#MAX_HEIGHT} covers. */
    public static final long MAX_FILE_SIZE = BlockMap.MAX_BLOCKS * BLOCK_SIZE;

    private final DaxDevice device;
    /** The mount's hold on the device ({@link MountTable}), given back at unmount. */
    private final DaxHolder hold;
    private final MetaIo io;
    final Geometry g;
    private final Journal journal;
    private final DaxIomap dax;
    private final Allocator alloc;
    /** Inode slot to file; changed under nsLock and txLock. */
    private final DaxFile[] slots;
    /** Names of the live files; guarded by nsLock. */
    private final Map<String, DaxFile> names = new HashMap<>();
    private final ReentrantLock nsLock = new ReentrantLock();
    private final ReentrantLock txLock = new ReentrantLock();
    private final ReentrantReadWriteLock umount = new ReentrantReadWriteLock();
    private final List<String> recovered = new ArrayList<>();
    /** What mount and unmount had to say beyond recovery: the unsafe-shutdown check, the deep flush. */
    private final List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Deliberate bugs for the proof campaigns ({@link FaultInjection}); empty otherwise. */
    final Set<Fault> faults = EnumSet.noneOf(Fault.class);
    /**
     * A transaction is split when one more unit of work might take it past this many blocks.
     * The journal's capacity, unless a test or a {@link FaultInjection} lowers it to reach the
     * states between transactions on small devices (any value is safe: a unit always goes ahead
     * after a split, and no unit exceeds the capacity on its own).
     */
    volatile int txLimit;
    private volatile boolean mounted = true;
    /** Why the filesystem takes no more calls (the first reason wins), null while it works. */
    private final AtomicReference<Shutdown> shutdown = new AtomicReference<>();
    /** Ends an {@link Active} call: one object for all of them, none made per call. */
    private final Active release = () -> umount.readLock().unlock();
    /** What the files see of this filesystem: an object of its own, as implementing it would make its methods public. */
    private final FileHost host = new Host();

    /**
     * A shut-down filesystem.
     *
     * @param why   completes "the daxfs on DEVICE shut down ..."
     * @param cause what failed, or null
     */
    private record Shutdown(String why, RuntimeException cause) {
    }

    private DaxFs(DaxDevice device, DaxHolder hold, MetaIo io, Scan scan) {
        this.device = device;
        this.hold = hold;
        this.io = io;
        this.g = scan.g;
        this.txLimit = g.txCapacity();
        FaultInjection.mounting(device).ifPresent(i -> {
            faults.addAll(i.faults());
            txLimit = i.txLimit();
        });
        this.journal = new Journal(io, g, scan.committed.tid(), faults);
        this.dax = new DaxIomap();
        this.alloc = new Allocator(g, scan.bitmap);
        this.slots = new DaxFile[(int) g.inodeCount()];
        for (InodeData d : scan.live()) {
            DaxFile f = new DaxFile(host, d);
            slots[(int) d.slot()] = f;
            if (!d.isOrphan()) {
                names.put(d.nameString(), f);
            }
        }
        recovered.addAll(scan.p.pending);
        if (scan.p.leakedBlocks > 0) {
            recovered.addAll(scan.p.leaks);
        }
    }

    // ---- format, mount, unmount

    /**
     * Writes an empty filesystem over the whole device: superblock and backup, journal, block
     * bitmap, inode table. Data blocks are not touched (nothing reads them before a file writes
     * them). The superblock is written last, after everything else is durable.
     *
     * @throws DaxException EBUSY if the device is mounted; EINVAL for a device too small or bad
     *                      options; EFBIG for a device larger than daxfs handles; what the
     *                      device throws
     */
    public static void format(DaxDevice device, FormatOptions options) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(options, "options");
        DaxHolder hold = MountTable.claim(device, "daxfs format", "unmount it before formatting");
        try {
            Geometry g = Geometry.compute(device.nrPages(), options, UUID.randomUUID(), now());
            MetaIo io = new MetaIo(device);
            io.zero(0, 1);
            io.fence(); // whatever was here is no longer a filesystem before anything else changes
            Journal.format(io, g);
            BitSet used = Allocator.metadata(g);
            for (int i = 0; i < g.bitmapBlocks(); i++) {
                io.write(g.bitmapStart() + i, Allocator.image(g, used, i));
            }
            io.zero(g.itableStart(), g.itableBlocks());
            byte[] sb = g.encode();
            io.write(g.backupBlock(), sb);
            io.fence();
            io.write(0, sb);
            io.fence();
            ShutdownState.atFormat(io, g);
        } finally {
            MountTable.release(hold);
        }
    }

    /**
     * Mounts the filesystem on {@code device}: checks every metadata structure, replays the
     * journal's last transaction, and finishes what a crash interrupted (deletes, truncates).
     * When the device's unsafe shutdown count changed since the last clean unmount, a full
     * {@link Fsck#check} runs first ({@link #notices()} says so).
     * <p>
     * A device is mounted once: not twice through one device object, nor through two opens of the
     * same memory (a symbolic or hard link to the same image: the device's
     * {@link DaxDevice#identity() identity}), nor, where the driver can claim the memory against
     * other processes (pmem's flock), in two JVMs. Closing the device without unmount shuts the
     * filesystem down: later calls on it and its files fail with EIO saying so (as after a crash,
     * what was acknowledged is on the media), and a new open of the device may mount.
     *
     * @throws DaxException EBUSY if the device is already mounted; EINVAL "not a daxfs
     *                      filesystem"; EUCLEAN naming the damaged structure (run {@link Fsck}),
     *                      also after an unsafe shutdown whose check found damage; what the
     *                      device throws (EIO for a bad block in metadata)
     */
    public static DaxFs mount(DaxDevice device) {
        Objects.requireNonNull(device, "device");
        AtomicReference<DaxFs> mounting = new AtomicReference<>();
        // Closing the device under a mount shuts the filesystem down (the kernel's holder notification)
        DaxHolder hold = MountTable.claim(device, "daxfs mount", "a device can be mounted once", d -> {
            DaxFs fs = mounting.get();
            if (fs != null) {
                fs.shutDown("because its device was closed without unmount (what was acknowledged is on the media: "
                        + "open the device again and mount it)", null);
            }
        });
        try {
            MetaIo io = new MetaIo(device);
            List<String> said = new ArrayList<>();
            byte[] sb = io.read(0);
            long record = Geometry.problem(sb, device.nrPages()) == null
                    ? ShutdownState.beforeMount(io, Geometry.decode(sb), said) : -1;
            Scan scan = Scan.run(io, true, true);
            DaxFs fs = new DaxFs(device, hold, io, scan);
            mounting.set(fs);
            fs.notices.addAll(said);
            fs.recover();
            if (record >= 0) {
                ShutdownState.record(io, fs.g, record); // checked at this count: the next change means a new failure
            }
            return fs;
        } catch (RuntimeException e) {
            MountTable.release(hold);
            throw e;
        }
    }

    /** Mount's clean-up after a crash: orphans freed, truncates finished. */
    private void recover() {
        for (DaxFile f : slots) {
            if (f == null) {
                continue;
            }
            InodeData d = f.d;
            if (d.isOrphan()) {
                transact(0, tx -> release(tx, f));
            } else if (d.map.ceiling(Math.ceilDiv(d.size, BLOCK_SIZE)) != null) {
                transact(0, tx -> {
                    dirtyInode(tx, d);
                    freeBlocks(tx, d, Math.ceilDiv(d.size, BLOCK_SIZE), Long.MAX_VALUE);
                });
            }
        }
    }

    /**
     * Persists the times of files written since their last transaction and unmounts: later calls
     * on the filesystem and its files fail with EBADF. Waits for calls in flight. Unmounting
     * twice does nothing. The device stays open: the caller closes it.
     * <p>
     * The last step is the device's {@link DaxDevice#deepFlush()}: at rest, nothing of the
     * filesystem waits in a queue the platform could fail to drain. A deep flush this user may
     * not make (EACCES) or that fails leaves the filesystem unmounted, everything fenced, and
     * says so in {@link #notices()}.
     */
    public void unmount() {
        umount.writeLock().lock();
        try {
            if (!mounted) {
                return;
            }
            try {
                if (shutdown.get() == null) {
                    syncTimes();
                    io.fence(); // the last checkpoint too: at rest, the journal is redundant
                    try {
                        device.deepFlush();
                    } catch (DaxException e) {
                        notices.add("unmount: the deep flush failed (everything was fenced): " + e.getMessage());
                    }
                }
            } finally {
                mounted = false;
                MountTable.release(hold);
            }
        } finally {
            umount.writeLock().unlock();
        }
    }

    /** {@link #unmount()}. */
    @Override
    public void close() {
        unmount();
    }

    // ---- the namespace

    /**
     * Creates an empty file, durable when this returns.
     *
     * @throws DaxException EINVAL or ENAMETOOLONG for a bad name; EEXIST if the name is taken;
     *                      ENOSPC when every inode is in use
     */
    public DaxFile create(String name) {
        byte[] nb = Names.encode(name);
        try (Active a = active()) {
            nsLock.lock();
            try {
                if (names.containsKey(name)) {
                    throw new DaxException(Errno.EEXIST, "file " + Names.quote(name) + " already exists");
                }
                int slot = -1;
                for (int i = 0; i < slots.length; i++) {
                    if (slots[i] == null) {
                        slot = i;
                        break;
                    }
                }
                if (slot < 0) {
                    throw new DaxException(Errno.ENOSPC, "cannot create " + Names.quote(name) + ": all " + slots.length
                            + " inodes are in use");
                }
                DaxFile f = new DaxFile(host, new InodeData(slot + 1, nb, now()));
                int s = slot;
                transact(0, tx -> {
                    slots[s] = f;
                    dirtyInode(tx, f.d);
                });
                names.put(name, f);
                return f;
            } finally {
                nsLock.unlock();
            }
        }
    }

    /**
     * The file of that name.
     *
     * @throws DaxException EINVAL or ENAMETOOLONG for a bad name; ENOENT if there is none
     */
    public DaxFile open(String name) {
        Names.encode(name);
        try (Active a = active()) {
            nsLock.lock();
            try {
                DaxFile f = names.get(name);
                if (f == null) {
                    throw new DaxException(Errno.ENOENT, "no file " + Names.quote(name));
                }
                return f;
            } finally {
                nsLock.unlock();
            }
        }
    }

    /** Whether a file of that name exists. */
    public boolean exists(String name) {
        Names.encode(name);
        try (Active a = active()) {
            nsLock.lock();
            try {
                return names.containsKey(name);
            } finally {
                nsLock.unlock();
            }
        }
    }

    /** The names of all files, sorted. */
    public List<String> list() {
        try (Active a = active()) {
            nsLock.lock();
            try {
                List<String> out = new ArrayList<>(names.keySet());
                Collections.sort(out);
                return out;
            } finally {
                nsLock.unlock();
            }
        }
    }

    /** {@code stat} of the file of that name. */
    public FileStat stat(String name) {
        return open(name).stat();
    }

    /**
     * Deletes a file and frees its blocks, durable when this returns. Waits for I/O in flight
     * on the file; its handles fail with ENOENT afterwards.
     *
     * @throws DaxException EINVAL or ENAMETOOLONG for a bad name; ENOENT if there is none
     */
    public void delete(String name) {
        Names.encode(name);
        try (Active a = active()) {
            nsLock.lock();
            try {
                DaxFile f = names.get(name);
                if (f == null) {
                    throw new DaxException(Errno.ENOENT, "cannot delete " + Names.quote(name) + ": no such file");
                }
                f.rwsem.writeLock().lock();
                try {
                    names.remove(name);
                    f.deleted = true;
                    transact(0, tx -> release(tx, f));
                } finally {
                    f.rwsem.writeLock().unlock();
                }
            } finally {
                nsLock.unlock();
            }
        }
    }

    /**
     * Renames a file, atomically replacing any file called {@code to} (whose blocks are freed):
     * after a crash, {@code to} is either the old file or the renamed one, never missing, and
     * the change is durable when this returns. Renaming a file to its own name does nothing.
     *
     * @throws DaxException EINVAL or ENAMETOOLONG for a bad name; ENOENT if {@code from} does not exist
     */
    public void rename(String from, String to) {
        Names.encode(from);
        byte[] toBytes = Names.encode(to);
        try (Active a = active()) {
            nsLock.lock();
            try {
                DaxFile src = names.get(from);
                if (src == null) {
                    throw new DaxException(Errno.ENOENT, "cannot rename " + Names.quote(from) + ": no such file");
                }
                if (from.equals(to)) {
                    return;
                }
                DaxFile victim = names.get(to);
                if (victim != null) {
                    victim.rwsem.writeLock().lock();
                }
                try {
                    if (victim != null) {
                        victim.deleted = true;
                    }
                    long now = now();
                    transact(0, tx -> {
                        src.d.name = toBytes;
                        src.d.ctime = now;
                        dirtyInode(tx, src.d);
                        if (victim != null) {
                            release(tx, victim); // the same transaction: the replacement is atomic
                        }
                    });
                    names.remove(from);
                    names.put(to, src);
                } finally {
                    if (victim != null) {
                        victim.rwsem.writeLock().unlock();
                    }
                }
            } finally {
                nsLock.unlock();
            }
        }
    }

    /** Persists every file's times and makes all data written so far durable ({@code syncfs}). */
    public void sync() {
        try (Active a = active()) {
            syncTimes();
            io.fence();
        }
    }

    /** Blocks, inodes and journal figures. */
    public FsStat statfs() {
        try (Active a = active()) {
            long used = 0;
            nsLock.lock();
            try {
                for (DaxFile f : slots) {
                    if (f != null) {
                        used++;
                    }
                }
            } finally {
                nsLock.unlock();
            }
            return new FsStat(g.nrBlocks(), g.dataBlocks(), alloc.available(), g.inodeCount(), g.inodeCount() - used,
                    journal.commits());
        }
    }

    /** What mount found and finished after a crash (orphans, truncates, journal replay, leaks); empty after a clean unmount. */
    public List<String> recovered() {
        return List.copyOf(recovered);
    }

    /**
     * What mount and unmount said beyond {@link #recovered()}: that the device's unsafe shutdown
     * count changed since the last clean unmount (and what the full check found), or could not
     * be read; that unmount's deep flush failed. Readable after unmount.
     */
    public List<String> notices() {
        return List.copyOf(notices);
    }

    /** The device the filesystem lives on. */
    public DaxDevice device() {
        return device;
    }

    /** The engine the files do their I/O through (its counters show the copy paths taken). */
    public DaxIomap dax() {
        return dax;
    }

    @Override
    public String toString() {
        return "DaxFs[" + device.name() + " " + g.nrBlocks() + " blocks, " + (mounted ? "mounted" : "unmounted") + "]";
    }

    // ---- for the files and the namespace

    /** A call in progress: holds off unmount. */
    interface Active extends AutoCloseable {
        @Override
        void close();
    }

    private Active active() {
        umount.readLock().lock();
        if (!mounted) {
            umount.readLock().unlock();
            throw new DaxException(Errno.EBADF, "the daxfs on " + device.name() + " is unmounted");
        }
        Shutdown dead = shutdown.get();
        if (dead != null) {
            umount.readLock().unlock();
            throw shutDownError(dead);
        }
        return release;
    }

    /** Takes no more calls, for the first reason given. */
    private void shutDown(String why, RuntimeException cause) {
        shutdown.compareAndSet(null, new Shutdown(why, cause));
    }

    /** After a change that memory and media no longer agree on. */
    private void shutDown(RuntimeException failedWrite) {
        shutDown("after a failed metadata write (" + failedWrite.getMessage() + "): unmount it and run fsck",
                failedWrite);
    }

    private DaxException shutDownError(Shutdown dead) {
        return new DaxException(Errno.EIO, "the daxfs on " + device.name() + " shut down " + dead.why(), dead.cause());
    }

    /** The device's flush: everything written before it is durable. */
    private void fence() {
        io.fence();
    }

    /**
     * Runs {@code body} as one transaction (or a sequence, if it {@link #split splits} it),
     * with {@code promised} blocks set aside by {@link Allocator#promise}. The body does its
     * checks before it changes anything: an exception after a change shuts the filesystem down,
     * since memory and media would no longer agree.
     */
    private void transact(long promised, Consumer<Tx> body) {
        txLock.lock();
        Tx tx = new Tx();
        tx.promised = promised;
        try {
            Shutdown dead = shutdown.get();
            if (dead != null) {
                throw shutDownError(dead);
            }
            try {
                body.accept(tx);
            } catch (RuntimeException e) {
                if (!tx.dirty.isEmpty() || !tx.freed.isEmpty()) {
                    shutDown(e);
                }
                throw e;
            }
            commit(tx);
        } finally {
            alloc.unpromise(tx.promised);
            txLock.unlock();
        }
    }

    /**
     * The most metadata blocks mapping file block {@code fb} of {@code d} can add to a
     * transaction: two inode blocks (a rename touches two), the nodes it creates plus the leaf
     * and one parent it changes, and a bitmap block for each new node and the data block.
     */
    private int setCost(InodeData d, long fb) {
        long created = d.map.nodesNeeded(fb, fb + 1);
        return (int) (2 + (created + 2) + Math.min(created + 1, g.bitmapBlocks()));
    }

    /** The most metadata blocks unmapping one block can add: inodes, the nodes on its path, their bitmap blocks. */
    private int clearCost() {
        return (int) (2 + BlockMap.MAX_HEIGHT + Math.min(BlockMap.MAX_HEIGHT + 1, g.bitmapBlocks()));
    }

    /** Whether {@code tx} might overflow the journal with a unit of work of that cost. */
    private boolean full(Tx tx, int cost) {
        return tx.size() + cost > Math.min(txLimit, g.txCapacity());
    }

    /** Commits what {@code tx} holds, a consistent state, and goes on in it with {@code d} dirty. */
    private void split(Tx tx, InodeData d) {
        commit(tx);
        dirtyInode(tx, d);
    }

    /** Splits {@code tx} if it is {@link #full} for that cost. */
    private void room(Tx tx, InodeData d, int cost) {
        if (full(tx, cost)) {
            split(tx, d);
        }
    }

    private void commit(Tx tx) {
        if (tx.dirty.isEmpty()) {
            alloc.releaseFreed(tx);
            return;
        }
        TreeMap<Long, byte[]> images = new TreeMap<>();
        tx.dirty.forEach((block, image) -> images.put(block, image.get()));
        try {
            journal.commit(images);
        } catch (RuntimeException e) {
            shutDown(e);
            throw e;
        }
        tx.dirty.clear();
        alloc.releaseFreed(tx);
    }

    private void dirtyInode(Tx tx, InodeData d) {
        long block = g.inodeBlock(d.slot());
        tx.dirty(block, () -> inodeBlockImage(block));
    }

    private byte[] inodeBlockImage(long block) {
        byte[] b = new byte[BLOCK_SIZE];
        long first = (block - g.itableStart()) * Geometry.INODES_PER_BLOCK;
        for (int k = 0; k < Geometry.INODES_PER_BLOCK; k++) {
            DaxFile f = slots[(int) (first + k)];
            if (f != null) {
                f.d.encode(b, k * InodeData.SIZE);
            }
        }
        return b;
    }

    /** What a transaction lends {@code d}'s block map. */
    private BlockMap.Meta meta(Tx tx, InodeData d) {
        return new BlockMap.Meta() {
            @Override
            public long allocNode() {
                return alloc.takePromised(1, tx).start();
            }

            @Override
            public void freeNode(long block) {
                alloc.free(block, tx);
            }

            @Override
            public void dirtyNode(long block, int level, long index) {
                tx.dirty(block, () -> d.map.nodeImage(d.ino, level, index));
            }

            @Override
            public void undirtyNode(long block) {
                tx.undirty(block);
            }
        };
    }

    /** Unmaps and frees the blocks of {@code [from, to)} of a file, committing along the way when the transaction fills. */
    private void freeBlocks(Tx tx, InodeData d, long from, long to) {
        BlockMap.Meta meta = meta(tx, d);
        int cost = clearCost();
        for (Extent p : d.map.pieces(from, to)) { // a copy: the loop clears what it walks
            for (long fb = p.start(); fb < p.end(); fb++) {
                room(tx, d, cost);
                d.map.clear(fb, meta);
                alloc.free(p.devOf(fb), tx);
            }
        }
        dirtyInode(tx, d);
    }

    /**
     * Frees a file and its inode. When everything fits one transaction the inode goes from live
     * to free at once; otherwise the first transaction marks it an orphan (out of the namespace)
     * and mount finishes the job after a crash.
     */
    private void release(Tx tx, DaxFile f) {
        InodeData d = f.d;
        d.flags |= InodeData.ORPHAN;
        dirtyInode(tx, d);
        freeBlocks(tx, d, 0, Long.MAX_VALUE);
        slots[(int) d.slot()] = null;
    }

    private void syncTimes() {
        transact(0, tx -> {
            for (DaxFile f : slots) {
                if (f != null && f.d.timesDirty) {
                    room(tx, f.d, 1);
                    dirtyInode(tx, f.d);
                }
            }
        });
    }

    /** {@link FileHost}: the filesystem as its files see it. */
    private final class Host implements FileHost {
        @Override
        public DaxDevice device() {
            return device;
        }

        @Override
        public DaxIomap dax() {
            return dax;
        }

        @Override
        public boolean injected(Fault fault) {
            return faults.contains(fault);
        }

        @Override
        public Active active() {
            return DaxFs.this.active();
        }

        @Override
        public void fence() {
            DaxFs.this.fence();
        }

        @Override
        public void require(long blocks, Supplier<String> what) {
            alloc.require(blocks, what);
        }

        @Override
        public Allocator.Run allocate(long max, Supplier<String> what) {
            return alloc.allocate(max, what);
        }

        @Override
        public void promise(long blocks, Supplier<String> what) {
            alloc.promise(blocks, what);
        }

        @Override
        public void unpromise(long blocks) {
            alloc.unpromise(blocks);
        }

        @Override
        public void unbusy(long block) {
            alloc.unbusy(block);
        }

        @Override
        public void transact(long promised, Consumer<Tx> body) {
            DaxFs.this.transact(promised, body);
        }

        @Override
        public void dirtyInode(Tx tx, InodeData d) {
            DaxFs.this.dirtyInode(tx, d);
        }

        @Override
        public BlockMap.Meta meta(Tx tx, InodeData d) {
            return DaxFs.this.meta(tx, d);
        }

        @Override
        public boolean full(Tx tx, InodeData d, long fb) {
            return DaxFs.this.full(tx, setCost(d, fb));
        }

        @Override
        public void split(Tx tx, InodeData d) {
            DaxFs.this.split(tx, d);
        }

        @Override
        public long takePromised(Tx tx) {
            return alloc.takePromised(1, tx).start();
        }

        @Override
        public void markUsed(long block, Tx tx) {
            alloc.markUsed(block, tx);
        }

        @Override
        public void freeBlocks(Tx tx, InodeData d, long from, long to) {
            DaxFs.this.freeBlocks(tx, d, from, to);
        }
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
