package io.jdax.daxfs;

import java.util.Arrays;

/**
 * One inode as the media holds it, in memory: a 512-byte slot of the inode table.
 * <pre>
 * 0   u32 magic "DXIN"   4  u32 crc32c   8  u64 ino (slot + 1)   16 u32 flags (1 = orphan)
 * 24  u64 size           32 u64 crtime   40 u64 mtime   48 u64 ctime   (nanoseconds since the epoch)
 * 56  u64 root node      64 u16 height   66 u16 name length
 * 256 name, UTF-8, up to 255 bytes
 * </pre>
 * A free slot is 512 zero bytes. An orphan is an inode being deleted (unlinked, blocks still
 * being freed): it has no place in the namespace, and mount finishes freeing it.
 * <p>
 * Structural fields change only under the filesystem's transaction lock; the times are
 * volatile because a write that allocates nothing updates them without a transaction.
 */
final class InodeData {
    static final int MAGIC = Bytes.magic4("DXIN");
    static final int ORPHAN = 1;
    static final int SIZE = Geometry.INODE_SIZE;
    private static final int CRC = 4;
    private static final int NAME = 256;
    private static final int USED = 68;

    final long ino;
    int flags;
    volatile long size;
    volatile long crtime;
    volatile long mtime;
    volatile long ctime;
    /** Set when the times changed without a transaction; cleared when an image of the slot is taken. */
    volatile boolean timesDirty;
    volatile byte[] name;
    final BlockMap map = new BlockMap();

    InodeData(long ino, byte[] name, long now) {
        this.ino = ino;
        this.name = name;
        this.crtime = now;
        this.mtime = now;
        this.ctime = now;
    }

    long slot() {
        return ino - 1;
    }

    boolean isOrphan() {
        return (flags & ORPHAN) != 0;
    }

    String nameString() {
        return Names.decode(name);
    }

    /** Writes this inode into its slot of an inode-table block image. */
    void encode(byte[] b, int off) {
        timesDirty = false; // before reading the times: a racing update sets it again
        Bytes.putInt(b, off, MAGIC);
        Bytes.putLong(b, off + 8, ino);
        Bytes.putInt(b, off + 16, flags);
        Bytes.putLong(b, off + 24, size);
        Bytes.putLong(b, off + 32, crtime);
        Bytes.putLong(b, off + 40, mtime);
        Bytes.putLong(b, off + 48, ctime);
        Bytes.putLong(b, off + 56, map.root());
        Bytes.putShort(b, off + 64, map.height());
        byte[] n = name;
        Bytes.putShort(b, off + 66, n.length);
        System.arraycopy(n, 0, b, off + NAME, n.length);
        Bytes.seal(b, off, SIZE, off + CRC);
    }

    /** Whether the slot at {@code off} is free (all zeros). */
    static boolean isFree(byte[] b, int off) {
        return Bytes.isZero(b, off, SIZE);
    }

    /**
     * What is wrong with the (non-free) slot at {@code off} for inode {@code ino}, or null. The
     * block map it names is checked separately.
     */
    static String problem(byte[] b, int off, long ino, Geometry g) {
        if (Bytes.getInt(b, off) != MAGIC) {
            return "bad magic";
        }
        if (!Bytes.sealed(b, off, SIZE, off + CRC)) {
            return "checksum mismatch";
        }
        if (Bytes.getLong(b, off + 8) != ino) {
            return "records inode number " + Bytes.getLong(b, off + 8);
        }
        int flags = Bytes.getInt(b, off + 16);
        if ((flags & ~ORPHAN) != 0) {
            return "unknown flags 0x" + Integer.toHexString(flags);
        }
        long size = Bytes.getLong(b, off + 24);
        if (size < 0 || size > DaxFs.MAX_FILE_SIZE) {
            return "size " + size + " is out of range";
        }
        long root = Bytes.getLong(b, off + 56);
        int height = Bytes.getShort(b, off + 64);
        if (height > BlockMap.MAX_HEIGHT) {
            return "block-map height " + height + " exceeds " + BlockMap.MAX_HEIGHT;
        }
        if ((height == 0) != (root == 0)) {
            return "block-map root " + root + " with height " + height;
        }
        if (root != 0 && !g.isDataBlock(root)) {
            return "block-map root " + root + " is outside the data area";
        }
        int len = Bytes.getShort(b, off + 66);
        if (len < 1 || len > DaxFs.NAME_MAX) {
            return "name length " + len;
        }
        if (!Bytes.isZero(b, off + USED, NAME - USED) || !Bytes.isZero(b, off + NAME + len, SIZE - NAME - len)
                || !Bytes.isZero(b, off + 20, 4)) {
            return "reserved bytes are not zero";
        }
        String why = Names.check(Arrays.copyOfRange(b, off + NAME, off + NAME + len));
        if (why != null) {
            return "name " + why;
        }
        return null;
    }

    /** The inode in a slot {@link #problem} found sound; its block map still empty. */
    static InodeData decode(byte[] b, int off) {
        int len = Bytes.getShort(b, off + 66);
        InodeData d = new InodeData(Bytes.getLong(b, off + 8),
                Arrays.copyOfRange(b, off + NAME, off + NAME + len), 0);
        d.flags = Bytes.getInt(b, off + 16);
        d.size = Bytes.getLong(b, off + 24);
        d.crtime = Bytes.getLong(b, off + 32);
        d.mtime = Bytes.getLong(b, off + 40);
        d.ctime = Bytes.getLong(b, off + 48);
        return d;
    }

    /** The root and height recorded in the slot. */
    static long root(byte[] b, int off) {
        return Bytes.getLong(b, off + 56);
    }

    static int height(byte[] b, int off) {
        return Bytes.getShort(b, off + 64);
    }
}
