package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.ExtentMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads and checks everything on the media: the state mount starts from and fsck judges. In
 * order: the superblock (and, for fsck, its backup), the journal (its last transaction replayed
 * by mount, laid over the media by fsck), the block bitmap, the inode table, every file's block
 * map, then the cross-checks: each block owned once, every owned block marked used, nothing
 * marked used that nobody owns (a leak), unique names.
 * <p>
 * Strict (mount): the first error throws EUCLEAN naming the structure. Lenient (fsck): every
 * problem is collected and the damaged parts are left out, so repair can write a sound
 * filesystem from what remains.
 */
final class Scan {
    private static final int BLOCK = Geometry.BLOCK;
    private static final int MAX_MESSAGES = 20;

    /** The superblock's verdict. */
    private record Super(Geometry g, boolean primaryBad, boolean backupBad) {
    }

    final Geometry g;
    final Problems p;
    final boolean strict;
    final MetaIo io;
    final boolean primarySuperblockBad;
    final boolean backupSuperblockBad;
    MetaReader reader;
    /** The journal's last committed transaction; null when the journal is damaged. */
    Journal.Committed committed;
    final BitSet bitmap = new BitSet();
    /** Blocks covered by bitmap blocks that failed their checks: their bits are unknown. */
    final BitSet bitmapUnknown = new BitSet();
    boolean bitmapBad;
    final InodeData[] inodes;
    /** Slots holding a damaged inode (lenient): repair clears them. */
    final BitSet badSlots = new BitSet();
    final BitSet claimed = new BitSet();
    private final Map<Long, Long> owner = new HashMap<>();
    /** Inodes whose block map lost nodes or entries (lenient): repair rewrites their trees. */
    final TreeSet<Long> damaged = new TreeSet<>();
    /** Non-orphan inodes whose name a lower inode already has (lenient). */
    final List<InodeData> duplicateNames = new ArrayList<>();

    private Scan(Super s, Problems p, boolean strict, MetaIo io) {
        this.g = s.g();
        this.primarySuperblockBad = s.primaryBad();
        this.backupSuperblockBad = s.backupBad();
        this.p = p;
        this.strict = strict;
        this.io = io;
        this.inodes = new InodeData[(int) g.inodeCount()];
    }

    /**
     * Scans a device.
     *
     * @param strict throw at the first error (mount), or collect (fsck)
     * @param replay write the journal's last transaction home before reading (mount, fsck repair)
     * @throws DaxException EINVAL "not a daxfs filesystem"; EUCLEAN when both superblocks are
     *                      damaged, or (strict) at the first problem
     */
    static Scan run(MetaIo io, boolean strict, boolean replay) {
        Problems p = new Problems(strict);
        Scan s = new Scan(superblock(io, strict, p), p, strict, io);
        s.journal(replay);
        s.bitmap();
        s.inodeTable();
        s.crossChecks();
        return s;
    }

    private static Super superblock(MetaIo io, boolean strict, Problems p) {
        long devBlocks = io.device().nrPages();
        String dev = io.device().name();
        byte[] sb = io.read(0);
        String sp = Geometry.problem(sb, devBlocks);
        long backupAt = devBlocks - 1;
        if (sp == null) {
            boolean backupBad = false;
            if (!strict) { // mount needs only the primary; fsck checks the backup too
                byte[] bk = io.read(backupAt);
                String bp = Geometry.problem(bk, devBlocks);
                if (bp == null && !Arrays.equals(bk, sb)) {
                    bp = "differs from the primary superblock";
                }
                if (bp != null) {
                    p.error("backup superblock (device block " + backupAt + "): " + bp);
                    backupBad = true;
                }
            }
            return new Super(Geometry.decode(sb), false, backupBad);
        }
        byte[] bk = io.read(backupAt);
        String bp = Geometry.problem(bk, devBlocks);
        if (!Geometry.hasMagic(sb) && !Geometry.hasMagic(bk)) {
            throw new DaxException(Errno.EINVAL, dev + ": not a daxfs filesystem (no daxfs superblock at device block 0"
                    + " nor a backup at block " + backupAt + ")");
        }
        if (bp != null) {
            throw new DaxException(Errno.EUCLEAN, dev + ": superblock (device block 0): " + sp
                    + ", and the backup superblock (device block " + backupAt + "): " + bp + ": nothing to mount or repair");
        }
        p.error("superblock (device block 0): " + sp + "; the backup superblock at device block " + backupAt
                + " is intact (fsck repair restores it)");
        return new Super(Geometry.decode(bk), true, false);
    }

    private void journal(boolean replay) {
        committed = Journal.readLast(io, g, p);
        reader = io;
        if (committed == null) {
            return;
        }
        Map<Long, byte[]> overlay = new HashMap<>();
        int stale = 0;
        for (int i = 0; i < committed.homes().length; i++) {
            overlay.put(committed.homes()[i], committed.images()[i]);
            if (!Arrays.equals(io.read(committed.homes()[i]), committed.images()[i])) {
                stale++;
            }
        }
        if (replay) {
            if (stale > 0) {
                for (int i = 0; i < committed.homes().length; i++) {
                    io.write(committed.homes()[i], committed.images()[i]);
                }
                io.fence();
            }
        } else {
            if (stale > 0) {
                p.pending("journal transaction " + Integer.toUnsignedString(committed.tid()) + ": " + stale + " of "
                        + committed.homes().length + " blocks not yet written home (mount replays them)");
            }
            reader = b -> {
                byte[] img = overlay.get(b);
                return img != null ? img.clone() : io.read(b);
            };
        }
    }

    private void bitmap() {
        for (int i = 0; i < g.bitmapBlocks(); i++) {
            long at = g.bitmapStart() + i;
            byte[] b = reader.read(at);
            String why = Allocator.problem(g, b, i);
            if (why != null) {
                bitmapBad = true;
                long from = (long) i * Geometry.BITS_PER_BITMAP_BLOCK;
                bitmapUnknown.set((int) from, (int) Math.min(g.nrBlocks(), from + Geometry.BITS_PER_BITMAP_BLOCK));
                p.error("block bitmap block " + i + " (device block " + at + "): " + why);
                continue;
            }
            Allocator.load(b, i, bitmap);
        }
        BitSet unmarked = Allocator.metadata(g);
        unmarked.andNot(bitmap);
        unmarked.andNot(bitmapUnknown);
        if (!unmarked.isEmpty()) {
            bitmapBad = true;
            p.error("block bitmap: " + unmarked.cardinality() + " metadata block(s) marked free, e.g. block "
                    + unmarked.nextSetBit(0));
        }
    }

    private void inodeTable() {
        for (long blk = 0; blk < g.itableBlocks(); blk++) {
            long at = g.itableStart() + blk;
            byte[] b = reader.read(at);
            for (int k = 0; k < Geometry.INODES_PER_BLOCK; k++) {
                int off = k * InodeData.SIZE;
                long slot = blk * Geometry.INODES_PER_BLOCK + k;
                if (InodeData.isFree(b, off)) {
                    continue;
                }
                String why = InodeData.problem(b, off, slot + 1, g);
                if (why != null) {
                    badSlots.set((int) slot);
                    p.error("inode " + (slot + 1) + " (inode table block " + blk + ", device block " + at + ", byte "
                            + off + "): " + why);
                    continue;
                }
                InodeData d = InodeData.decode(b, off);
                inodes[(int) slot] = d;
                int height = InodeData.height(b, off);
                long root = InodeData.root(b, off);
                if (height > 0) {
                    d.map.initHeight(height);
                    if (!walk(d, height, 0, root)) {
                        d.map.initHeight(0); // the root went: the whole map is lost
                    }
                }
            }
        }
        Map<String, InodeData> names = new HashMap<>();
        for (InodeData d : inodes) {
            if (d == null || d.isOrphan()) {
                continue;
            }
            InodeData first = names.putIfAbsent(d.nameString(), d);
            if (first != null) {
                duplicateNames.add(d);
                p.error("inode " + d.ino + " has the name " + Names.quote(d.nameString()) + " of inode " + first.ino);
            }
        }
    }

    /** Loads node (level, index) at {@code block} of {@code d}'s map and everything under it; false if it was dropped. */
    private boolean walk(InodeData d, int level, long index, long block) {
        String where = "block-map node of inode " + d.ino + " at device block " + block + " (level " + level + ", index "
                + index + ")";
        if (!g.isDataBlock(block)) {
            return drop(d, where + ": not a block of the data area");
        }
        if (!claim(block, d.ino, where)) {
            return drop(d, null);
        }
        byte[] b = reader.read(block);
        String why = BlockMap.nodeProblem(b, d.ino, level, index);
        if (why != null) {
            return drop(d, where + ": " + why);
        }
        boolean any = false;
        for (int k = 0; k < BlockMap.FANOUT; k++) {
            long e = BlockMap.entry(b, k);
            if (e == 0) {
                continue;
            }
            long below = index * BlockMap.FANOUT + k;
            if (level == 1) {
                long addr = e & BlockMap.ADDR_MASK;
                if ((e & ~(BlockMap.ADDR_MASK | BlockMap.UNWRITTEN)) != 0 || !g.isDataBlock(addr)) {
                    drop(d, where + ": entry " + k + " (file block " + below + ") is not a data block: 0x"
                            + Long.toHexString(e));
                    continue;
                }
                if (!claim(addr, d.ino, "file block " + below + " of inode " + d.ino)) {
                    drop(d, null);
                    continue;
                }
                d.map.load(below, e);
                any = true;
            } else if (walk(d, level - 1, below, e)) {
                any = true;
            }
        }
        if (!any) {
            return drop(d, where + ": maps nothing (an empty node must have been freed)");
        }
        d.map.putNode(level, index, block);
        return true;
    }

    private boolean drop(InodeData d, String message) {
        if (message != null) {
            p.error(message);
        }
        damaged.add(d.ino);
        return false;
    }

    /** Claims a block for inode {@code ino}; false (and an error) when someone already has it. */
    private boolean claim(long block, long ino, String what) {
        if (claimed.get((int) block)) {
            Long first = owner.get(block);
            p.error("device block " + block + " is claimed twice: by " + what + " and by "
                    + (first == null ? "an earlier owner" : "inode " + first));
            return false;
        }
        claimed.set((int) block);
        if (!strict) {
            owner.put(block, ino);
        }
        return true;
    }

    private void crossChecks() {
        BitSet meta = Allocator.metadata(g);
        BitSet unmarked = (BitSet) claimed.clone();
        unmarked.andNot(bitmap);
        unmarked.andNot(bitmapUnknown);
        int shown = 0;
        for (int b = unmarked.nextSetBit(0); b >= 0; b = unmarked.nextSetBit(b + 1)) {
            bitmapBad = true;
            if (shown++ < MAX_MESSAGES) {
                Long o = owner.get((long) b);
                p.error("block bitmap: device block " + b + " is used" + (o == null ? "" : " by inode " + o)
                        + " but marked free");
            }
        }
        if (shown > MAX_MESSAGES) {
            p.error("block bitmap: " + (shown - MAX_MESSAGES) + " more used blocks marked free");
        }
        BitSet leaked = (BitSet) bitmap.clone();
        leaked.andNot(claimed);
        leaked.andNot(meta);
        if (!leaked.isEmpty()) {
            p.leak(leaked.cardinality(), leaked.cardinality() + " block(s) marked used that no file owns, e.g. device block "
                    + leaked.nextSetBit(0));
        }
        for (InodeData d : inodes) {
            if (d == null) {
                continue;
            }
            if (d.isOrphan()) {
                p.pending("inode " + d.ino + " (" + Names.quote(d.nameString()) + ") is an orphan (a delete or rename "
                        + "over it was under way): mount frees it");
                continue;
            }
            long eofBlock = Math.ceilDiv(d.size, BLOCK);
            ExtentMap.Extent beyond = d.map.ceiling(eofBlock);
            if (beyond != null) {
                long past = Math.max(beyond.start(), eofBlock);
                p.pending("inode " + d.ino + " (" + Names.quote(d.nameString()) + ") maps file block " + past
                        + " past its size " + d.size + " (a truncate was under way): mount frees those blocks");
            }
        }
    }

    /** The live inodes, orphans included. */
    List<InodeData> live() {
        List<InodeData> out = new ArrayList<>();
        for (InodeData d : inodes) {
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }
}
