package io.jdax.daxfs;

import io.jdax.daxfs.fault.Fault;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.zip.CRC32C;

/**
 * The redo journal: every metadata change is a transaction of whole 4 KiB block images, made
 * durable in the journal before any home block is touched.
 * <pre>
 * header block   magic, CRC, geometry, uuid; at byte 64 the commit word (tid | check); at byte 128
 *                the unsafe-shutdown word ({@link ShutdownState})
 * half 0, half 1 descriptor (tid, home block list, CRC of the images) + image blocks
 * </pre>
 * Transaction {@code t} goes to half {@code t & 1}, so the body of the last committed
 * transaction is never overwritten while the commit word names it. Commit, in this order:
 * <ol>
 *   <li>descriptor and images into the half (durable copies); fence: the body, and every data
 *       byte written before the transaction, is durable;</li>
 *   <li>the commit word, one aligned 8-byte store + write-back; fence: committed;</li>
 *   <li>the images to their home blocks (durable copies), not fenced: the next transaction's
 *       first fence makes them durable before its commit word replaces this one, and until then
 *       mount replays them.</li>
 * </ol>
 * Mount replays the transaction the commit word names, always: its images are whole blocks,
 * nothing but a later transaction writes those blocks, so replaying is idempotent.
 */
final class Journal {
    static final long MAGIC = Bytes.magic8("JDAXJRNL");
    static final long DESCRIPTOR_MAGIC = Bytes.magic8("JDAXJDSC");
    static final int COMMIT_OFFSET = 64;
    /** The unsafe-shutdown word: in a cache line of its own, outside the header CRC like the commit word. */
    static final int SHUTDOWN_OFFSET = 128;
    private static final int BLOCK = Geometry.BLOCK;
    private static final int CRC = 8;
    private static final int ENTRIES = 32;

    /** The last committed transaction as the media holds it. */
    record Committed(int tid, long[] homes, byte[][] images) {
    }

    private final MetaIo io;
    private final Geometry g;
    private final Set<Fault> faults;
    private int lastTid;
    private long commits;

    Journal(MetaIo io, Geometry g, int lastTid, Set<Fault> faults) {
        this.io = io;
        this.g = g;
        this.faults = faults;
        this.lastTid = lastTid;
    }

    int lastTid() {
        return lastTid;
    }

    long commits() {
        return commits;
    }

    /**
     * Commits the images atomically and durably, then writes them home. Returns once the
     * transaction is durable (committed); its home blocks are durable by the next commit.
     * Callers serialise commits.
     */
    void commit(SortedMap<Long, byte[]> images) {
        if (images.isEmpty()) {
            return;
        }
        if (images.size() > g.txCapacity()) {
            throw new IllegalStateException("transaction of " + images.size() + " blocks, capacity " + g.txCapacity());
        }
        int tid = lastTid + 1;
        long half = g.halfStart(tid & 1);
        long[] homes = new long[images.size()];
        CRC32C crc = new CRC32C();
        int i = 0;
        for (Map.Entry<Long, byte[]> e : images.entrySet()) {
            homes[i] = e.getKey();
            crc.update(e.getValue());
            io.write(half + 1 + i, e.getValue());
            i++;
        }
        io.write(half, descriptor(tid, homes, (int) crc.getValue()));
        if (!faults.contains(Fault.NO_BODY_FENCE)) {
            io.fence(); // the body (and the data written before this transaction) is durable
        }
        io.storeWord(g.journalStart(), COMMIT_OFFSET, commitWord(tid));
        if (!faults.contains(Fault.NO_COMMIT_FENCE)) {
            io.fence(); // committed: mount replays it from now on
        }
        lastTid = tid;
        commits++;
        for (Map.Entry<Long, byte[]> e : images.entrySet()) {
            io.write(e.getKey(), e.getValue()); // checkpoint: durable by the next commit's first fence
        }
    }

    /** Writes an empty journal: the header, transaction 0 with no images, the commit word naming it. */
    static void format(MetaIo io, Geometry g) {
        io.zero(g.journalStart(), g.journalBlocks());
        io.write(g.halfStart(0), descriptor(0, new long[0], (int) new CRC32C().getValue()));
        io.write(g.journalStart(), header(g));
        io.fence();
        io.storeWord(g.journalStart(), COMMIT_OFFSET, commitWord(0));
    }

    // ---- the structures

    /** The header block, commit word zero. */
    static byte[] header(Geometry g) {
        byte[] b = new byte[BLOCK];
        Bytes.putLong(b, 0, MAGIC);
        Bytes.putInt(b, 12, g.txCapacity());
        Bytes.putLong(b, 16, g.journalStart());
        Bytes.putLong(b, 24, g.uuid().getMostSignificantBits());
        Bytes.putLong(b, 32, g.uuid().getLeastSignificantBits());
        Bytes.seal(b, 0, BLOCK, CRC);
        return b;
    }

    /** What is wrong with a header block (its commit word aside), or null. */
    static String headerProblem(byte[] read, Geometry g) {
        byte[] b = read.clone();
        Bytes.putLong(b, COMMIT_OFFSET, 0); // the commit word checks itself
        Bytes.putLong(b, SHUTDOWN_OFFSET, 0); // and so does the unsafe-shutdown word
        if (Bytes.getLong(b, 0) != MAGIC) {
            return "bad magic";
        }
        if (!Bytes.sealed(b, 0, BLOCK, CRC)) {
            return "checksum mismatch";
        }
        if (!Arrays.equals(b, header(g))) {
            return "does not match the superblock's geometry and uuid";
        }
        return null;
    }

    /**
     * The commit word of transaction {@code tid}: the tid in the high half, a CRC32C of it in the
     * low half, so a damaged word is told from any word ever stored (an 8-byte store cannot tear).
     */
    static long commitWord(int tid) {
        return ((long) tid << 32) | (wordCheck(tid) & 0xFFFF_FFFFL);
    }

    static boolean wordValid(long word) {
        return (int) word == wordCheck(wordTid(word));
    }

    static int wordTid(long word) {
        return (int) (word >>> 32);
    }

    private static int wordCheck(int tid) {
        byte[] b = new byte[8];
        Bytes.putInt(b, 0, tid);
        Bytes.putInt(b, 4, 0x4A444158); // "XADJ": a word of zeros is not valid
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    static byte[] descriptor(int tid, long[] homes, int imagesCrc) {
        byte[] b = new byte[BLOCK];
        Bytes.putLong(b, 0, DESCRIPTOR_MAGIC);
        Bytes.putInt(b, 12, tid);
        Bytes.putInt(b, 16, homes.length);
        Bytes.putInt(b, 20, imagesCrc);
        for (int i = 0; i < homes.length; i++) {
            Bytes.putLong(b, ENTRIES + 8 * i, homes[i]);
        }
        Bytes.seal(b, 0, BLOCK, CRC);
        return b;
    }

    /**
     * Reads the header and the transaction the commit word names, checking everything. A
     * problem is an error: no crash can damage the header, the commit word (one atomic store)
     * or the named transaction (fenced before the word was stored, never overwritten while named).
     *
     * @return the transaction, or null when the journal is unusable (the problems say why)
     */
    static Committed readLast(MetaReader r, Geometry g, Problems p) {
        byte[] h = r.read(g.journalStart());
        String hp = headerProblem(h, g);
        if (hp != null) {
            p.error("journal header (device block " + g.journalStart() + "): " + hp);
            return null;
        }
        long word = Bytes.getLong(h, COMMIT_OFFSET);
        if (!wordValid(word)) {
            p.error("journal commit record (device block " + g.journalStart() + ", byte " + COMMIT_OFFSET
                    + "): checksum mismatch in word 0x" + Long.toHexString(word));
            return null;
        }
        int tid = wordTid(word);
        long half = g.halfStart(tid & 1);
        String where = "journal transaction " + Integer.toUnsignedString(tid) + " (descriptor at device block " + half + ")";
        byte[] d = r.read(half);
        if (Bytes.getLong(d, 0) != DESCRIPTOR_MAGIC) {
            p.error(where + ": bad descriptor magic");
            return null;
        }
        if (!Bytes.sealed(d, 0, BLOCK, CRC)) {
            p.error(where + ": descriptor checksum mismatch");
            return null;
        }
        if (Bytes.getInt(d, 12) != tid) {
            p.error(where + ": the descriptor is of transaction " + Integer.toUnsignedString(Bytes.getInt(d, 12)));
            return null;
        }
        int count = Bytes.getInt(d, 16);
        if (count < 0 || count > g.txCapacity()) {
            p.error(where + ": " + count + " images, the journal holds at most " + g.txCapacity());
            return null;
        }
        if (!Bytes.isZero(d, ENTRIES + 8 * count, BLOCK - ENTRIES - 8 * count)) {
            // the CRC passed, so this is a writer's bug rather than media damage; still refuse it
            p.error(where + ": bytes after the home list are not zero");
            return null;
        }
        long[] homes = new long[count];
        byte[][] images = new byte[count][];
        CRC32C crc = new CRC32C();
        long prev = -1;
        for (int i = 0; i < count; i++) {
            homes[i] = Bytes.getLong(d, ENTRIES + 8 * i);
            if (homes[i] < g.bitmapStart() || homes[i] >= g.backupBlock() || homes[i] <= prev) {
                p.error(where + ": home block " + homes[i] + " is not a metadata block in order");
                return null;
            }
            prev = homes[i];
            images[i] = r.read(half + 1 + i);
            crc.update(images[i]);
        }
        if ((int) crc.getValue() != Bytes.getInt(d, 20)) {
            p.error(where + ": the images do not match the descriptor's checksum");
            return null;
        }
        return new Committed(tid, homes, images);
    }
}
