package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.Sizes;

import java.util.UUID;

/**
 * Where everything lives on the device, as the superblock records it. All numbers are 4 KiB
 * blocks; the layout is fixed at format time:
 * <pre>
 * 0                      superblock
 * journalStart           journal header, then two halves of (1 descriptor + txCapacity images)
 * bitmapStart            block bitmap, one bit per device block (metadata blocks are set)
 * itableStart            inode table, 8 inodes of 512 bytes per block
 * dataStart ..backup-1   data blocks and block-map nodes
 * backupBlock (last)     backup superblock
 * </pre>
 *
 * @param nrBlocks     blocks of the filesystem: the whole device
 * @param inodeCount   inode slots, a multiple of 8
 * @param txCapacity   metadata blocks one transaction may change
 * @param journalStart the journal header block
 * @param bitmapStart  the first block-bitmap block
 * @param bitmapBlocks block-bitmap blocks
 * @param itableStart  the first inode-table block
 * @param itableBlocks inode-table blocks
 * @param dataStart    the first block available to files
 * @param backupBlock  the backup superblock, the device's last block
 * @param uuid         the filesystem's identity, also stamped into the journal header
 * @param created      format time, nanoseconds since the epoch
 */
record Geometry(long nrBlocks, long inodeCount, int txCapacity, long journalStart, long bitmapStart,
                long bitmapBlocks, long itableStart, long itableBlocks, long dataStart, long backupBlock, UUID uuid,
                long created) {

    static final int BLOCK = 4096;
    static final int VERSION = 1;
    static final long MAGIC = Bytes.magic8("JDAXDAXF");
    /** Bits per block-bitmap block: the block less its 16-byte header. */
    static final int BITS_PER_BITMAP_BLOCK = (BLOCK - 16) * 8;
    static final int INODE_SIZE = 512;
    static final int INODES_PER_BLOCK = BLOCK / INODE_SIZE;
    static final int MIN_TX = 16;
    /** A descriptor block lists at most this many home blocks. */
    static final int MAX_TX = (BLOCK - 32) / 8;
    static final long MIN_DATA_BLOCKS = 8;
    static final long MAX_BLOCKS = Integer.MAX_VALUE;
    static final long MAX_INODES = 1L << 26;

    // superblock fields
    private static final int CRC = 8;
    private static final int USED = 128;

    /** The journal: a header block and two halves. */
    long journalBlocks() {
        return 1 + 2L * (1 + txCapacity);
    }

    /** The descriptor block of journal half 0 or 1. */
    long halfStart(int half) {
        return journalStart + 1 + half * (1L + txCapacity);
    }

    /** Blocks available to files and block-map nodes. */
    long dataBlocks() {
        return backupBlock - dataStart;
    }

    boolean isDataBlock(long b) {
        return b >= dataStart && b < backupBlock;
    }

    /** The device block of inode table slot {@code slot} and the slot's byte offset in it. */
    long inodeBlock(long slot) {
        return itableStart + slot / INODES_PER_BLOCK;
    }

    /**
     * The layout for a device of {@code nrBlocks} blocks.
     *
     * @throws DaxException EINVAL for options out of range or a device too small; EFBIG for a
     *                      device larger than daxfs handles
     */
    static Geometry compute(long nrBlocks, FormatOptions o, UUID uuid, long created) {
        if (nrBlocks > MAX_BLOCKS) {
            throw new DaxException(Errno.EFBIG, "daxfs handles devices of at most " + MAX_BLOCKS + " blocks ("
                    + Sizes.format(MAX_BLOCKS * BLOCK) + "), the device has " + nrBlocks);
        }
        int tx = o.transactionBlocks();
        if (tx == 0) {
            tx = (int) Math.clamp(nrBlocks / 128, MIN_TX, MAX_TX);
        } else if (tx < MIN_TX || tx > MAX_TX) {
            throw new DaxException(Errno.EINVAL, "format: transactionBlocks must be " + MIN_TX + " to " + MAX_TX
                    + ", got " + tx);
        }
        long inodes = o.inodes();
        if (inodes == 0) {
            inodes = Math.clamp(nrBlocks / 16, 32, MAX_INODES);
        } else if (inodes < 1 || inodes > MAX_INODES) {
            throw new DaxException(Errno.EINVAL, "format: inodes must be 1 to " + MAX_INODES + ", got " + inodes);
        }
        inodes = Math.ceilDiv(inodes, INODES_PER_BLOCK) * INODES_PER_BLOCK;
        long journalStart = 1;
        long bitmapStart = journalStart + 1 + 2L * (1 + tx);
        long bitmapBlocks = Math.ceilDiv(nrBlocks, BITS_PER_BITMAP_BLOCK);
        long itableStart = bitmapStart + bitmapBlocks;
        long itableBlocks = inodes / INODES_PER_BLOCK;
        long dataStart = itableStart + itableBlocks;
        long backup = nrBlocks - 1;
        if (backup - dataStart < MIN_DATA_BLOCKS) {
            long need = dataStart + MIN_DATA_BLOCKS + 1;
            throw new DaxException(Errno.EINVAL, "the device is too small for daxfs: " + Sizes.format(Math.max(nrBlocks, 0)
                    * BLOCK) + " holds " + nrBlocks + " blocks; with " + inodes + " inodes and " + tx
                    + "-block transactions the metadata alone takes " + dataStart + " (+1 backup superblock) and "
                    + MIN_DATA_BLOCKS + " data blocks are the least: give at least " + Sizes.format(need * BLOCK));
        }
        return new Geometry(nrBlocks, inodes, tx, journalStart, bitmapStart, bitmapBlocks, itableStart, itableBlocks,
                dataStart, backup, uuid, created);
    }

    /** The superblock: this geometry, sealed with its CRC32C. */
    byte[] encode() {
        byte[] b = new byte[BLOCK];
        Bytes.putLong(b, 0, MAGIC);
        Bytes.putInt(b, 12, VERSION);
        Bytes.putInt(b, 16, BLOCK);
        Bytes.putInt(b, 20, txCapacity);
        Bytes.putLong(b, 24, nrBlocks);
        Bytes.putLong(b, 32, inodeCount);
        Bytes.putLong(b, 40, journalStart);
        Bytes.putLong(b, 48, bitmapStart);
        Bytes.putLong(b, 56, bitmapBlocks);
        Bytes.putLong(b, 64, itableStart);
        Bytes.putLong(b, 72, itableBlocks);
        Bytes.putLong(b, 80, dataStart);
        Bytes.putLong(b, 88, backupBlock);
        Bytes.putLong(b, 96, uuid.getMostSignificantBits());
        Bytes.putLong(b, 104, uuid.getLeastSignificantBits());
        Bytes.putLong(b, 112, created);
        Bytes.seal(b, 0, BLOCK, CRC);
        return b;
    }

    /** Whether the block starts with the daxfs magic. */
    static boolean hasMagic(byte[] b) {
        return Bytes.getLong(b, 0) == MAGIC;
    }

    /**
     * What is wrong with a superblock read from a device of {@code deviceBlocks} blocks, or null
     * when it is sound: magic, checksum, version, and a layout that {@link #compute} would give.
     */
    static String problem(byte[] b, long deviceBlocks) {
        if (!hasMagic(b)) {
            return "bad magic";
        }
        if (!Bytes.sealed(b, 0, BLOCK, CRC)) {
            return "checksum mismatch";
        }
        if (Bytes.getInt(b, 12) != VERSION) {
            return "unsupported version " + Bytes.getInt(b, 12) + " (this daxfs reads version " + VERSION + ")";
        }
        if (Bytes.getInt(b, 16) != BLOCK) {
            return "block size " + Bytes.getInt(b, 16) + ", expected " + BLOCK;
        }
        if (!Bytes.isZero(b, USED, BLOCK - USED)) {
            return "reserved bytes are not zero";
        }
        Geometry g = decode(b);
        if (g.nrBlocks != deviceBlocks) {
            return "the filesystem has " + g.nrBlocks + " blocks, the device " + deviceBlocks;
        }
        try {
            Geometry expect = compute(g.nrBlocks, new FormatOptions(g.inodeCount, g.txCapacity), g.uuid, g.created);
            if (!expect.equals(g)) {
                return "incoherent layout " + g + ", expected " + expect;
            }
        } catch (DaxException e) {
            return "impossible geometry: " + e.getMessage();
        }
        return null;
    }

    /** The geometry of a superblock {@link #problem} found sound. */
    static Geometry decode(byte[] b) {
        return new Geometry(Bytes.getLong(b, 24), Bytes.getLong(b, 32), Bytes.getInt(b, 20), Bytes.getLong(b, 40),
                Bytes.getLong(b, 48), Bytes.getLong(b, 56), Bytes.getLong(b, 64), Bytes.getLong(b, 72),
                Bytes.getLong(b, 80), Bytes.getLong(b, 88), new UUID(Bytes.getLong(b, 96), Bytes.getLong(b, 104)),
                Bytes.getLong(b, 112));
    }
}
