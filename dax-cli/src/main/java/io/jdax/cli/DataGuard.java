package io.jdax.cli;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the destructive commands ({@code bench --device}, {@code selftest}) off devices that hold
 * data. Before the first write it looks, as blkid does, for every common signature at its own
 * offset ({@link #SIGNATURES}: filesystems, swap, LUKS, LVM2, partition tables, ZFS labels, daxfs
 * and the marker a previous jdax run left), then reads the first and the last MiB whole and
 * {@value #SAMPLED_PAGES} pages spread over the rest; any signature or non-zero byte means "holds
 * data" unless the user said {@code --destroy-data}.
 * <p>
 * After a destructive run the commands write {@link #markScratch the marker} at byte 0, so the
 * next refusal can say whose data it is.
 */
final class DataGuard {
    /** Pages sampled over the whole device, besides the first and last {@link #WHOLE_BYTES}. */
    static final int SAMPLED_PAGES = 64;
    /** Bytes read whole at each end: where most formats keep their headers and backups. */
    static final long WHOLE_BYTES = 1L << 20;
    /** The start of the marker a destructive jdax run leaves at byte 0. */
    static final String MARKER = "jdax-scratch:";

    private static final long KIB = 1024;
    private static final long MIB = KIB * KIB;
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    /** A format's signature: what it is called ("an XFS filesystem"), and where its magic lies. */
    private interface Signature {
        /** The byte where it was found, or -1. */
        long find(Pages dev);

        String name();
    }

    /** {@code magic} at any of {@code offsets}; a negative offset counts from the end of the device. */
    private record Magic(String name, byte[] magic, long... offsets) implements Signature {
        Magic(String name, String magic, long... offsets) {
            this(name, magic.getBytes(StandardCharsets.ISO_8859_1), offsets);
        }

        @Override
        public long find(Pages dev) {
            for (long o : offsets) {
                long at = o < 0 ? dev.size + o : o;
                if (dev.matches(at, magic)) {
                    return at;
                }
            }
            return -1;
        }
    }

    /** Where each format keeps its magic (util-linux's libblkid looks in the same places). */
    private static final List<Signature> SIGNATURES = List.of(
            new Magic("a jdax daxfs filesystem", "JDAXDAXF", 0, -PAGE), // superblock and its backup in the last block
            new Magic("a btrfs filesystem", "_BHRfS_M", 64 * KIB + 0x40, 64 * MIB + 0x40, 256 * KIB * MIB + 0x40),
            new Magic("an XFS filesystem", "XFSB", 0),
            new Magic("an ext2/3/4 filesystem", new byte[] {0x53, (byte) 0xEF}, 1024 + 0x38),
            new Magic("an F2FS filesystem", new byte[] {0x10, 0x20, (byte) 0xF5, (byte) 0xF2}, 1024, 4096 + 1024),
            new Magic("a bcachefs filesystem", bytes(0xc6, 0x85, 0x73, 0xf6, 0x66, 0xce, 0x90, 0xa9, 0xd9, 0x6a, 0x60,
                    0xcf, 0x80, 0x3d, 0xf7, 0xef), 4096 + 24),
            new Magic("a bcache device or bcachefs filesystem", bytes(0xc6, 0x85, 0x73, 0xf6, 0x4e, 0x1a, 0x45, 0xca, 0x82, 0x65, 0xf5,
                    0x7f, 0x48, 0xba, 0x6d, 0x81), 4096 + 24),
            new Magic("a squashfs filesystem", "hsqs", 0),
            new Magic("a big-endian squashfs filesystem", "sqsh", 0),
            new Magic("an NTFS filesystem", "NTFS    ", 3, -512 + 3), // boot sector and its copy in the last sector
            new Magic("an exFAT filesystem", "EXFAT   ", 3),
            new Magic("a FAT32 filesystem", "FAT32   ", 0x52),
            new Magic("a FAT12 filesystem", "FAT12   ", 0x36),
            new Magic("a FAT16 filesystem", "FAT16   ", 0x36),
            new Magic("a FAT filesystem", "FAT     ", 0x36),
            new Magic("an ISO 9660 filesystem", "CD001", 0x8001, 0x8801, 0x9001),
            new Magic("a LUKS encrypted volume", bytes('L', 'U', 'K', 'S', 0xba, 0xbe), 0),
            // LUKS2 writes a second header at one of these offsets (its size picks which).
            new Magic("a LUKS2 encrypted volume (its second header)", bytes('S', 'K', 'U', 'L', 0xba, 0xbe), 16 * KIB,
                    32 * KIB, 64 * KIB, 128 * KIB, 256 * KIB, 512 * KIB, MIB, 2 * MIB, 4 * MIB),
            new LvmLabel(),
            new Magic("a swap area", "SWAPSPACE2", swapOffsets()),
            new Magic("an old-format swap area", "SWAP-SPACE", swapOffsets()),
            new Magic("a hibernation image", "S1SUSPEND", swapOffsets()),
            new ZfsLabel(),
            // A 512-byte LBA 1, or a 4096-byte one; the backup header in the last LBA.
            new Magic("a GPT partition table", "EFI PART", 512, 4096, -512, -4096),
            // Last: FAT and NTFS boot sectors and GPT's protective MBR end this way too.
            new Magic("a DOS/MBR partition table or boot sector", bytes(0x55, 0xaa), 510));

    private DataGuard() {
    }

    /**
     * What the device holds, if anything: a sentence for the refusal ("an ext2/3/4 filesystem
     * signature at byte 1080"), or empty when every byte looked at is zero. Poisoned pages are
     * passed over.
     */
    static Optional<String> inspect(DaxDevice dev) {
        Pages pages = new Pages(dev);
        byte[] first = pages.page(0);
        if (first != null) {
            String text = new String(first, 0, 128, StandardCharsets.ISO_8859_1);
            if (text.startsWith(MARKER)) {
                int end = text.indexOf('\n');
                return Optional.of("test data of an earlier jdax run, " + text.substring(MARKER.length(),
                        end < 0 ? text.length() : end).strip());
            }
        }
        for (Signature s : SIGNATURES) {
            long at = s.find(pages);
            if (at >= 0) {
                return Optional.of(s.name() + " signature at byte " + at);
            }
        }
        long nrPages = dev.nrPages();
        long whole = WHOLE_BYTES / PAGE;
        for (long pg = 0; pg < nrPages; pg++) {
            if (pg == whole && nrPages > 2 * whole) {
                pg = nrPages - whole; // the middle is sampled below
            }
            Optional<String> found = nonZero(pages, pg);
            if (found.isPresent()) {
                return found;
            }
        }
        for (int i = 0; i < SAMPLED_PAGES; i++) {
            long pg = nrPages <= 1 ? 0 : i * (nrPages - 1) / (SAMPLED_PAGES - 1);
            Optional<String> found = nonZero(pages, pg);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> nonZero(Pages pages, long pg) {
        byte[] page = pages.page(pg);
        if (page == null) {
            return Optional.empty();
        }
        for (int b = 0; b < page.length; b++) {
            if (page[b] != 0) {
                long at = pg * PAGE + b;
                return Optional.of("non-zero bytes at byte " + at + " (" + Sizes.format(pg * PAGE) + " in), found in"
                        + " the first and last " + Sizes.format(WHOLE_BYTES) + " read whole and " + SAMPLED_PAGES
                        + " pages sampled");
            }
        }
        return Optional.empty();
    }

    /**
     * Refuses with the exit code for "holds data" unless {@code destroy}.
     *
     * @throws Refused when the device holds data and {@code destroy} is false
     */
    static void check(DaxDevice dev, String spec, boolean destroy) {
        if (destroy) {
            return;
        }
        Optional<String> found = inspect(dev);
        if (found.isPresent()) {
            throw new Refused(spec + " holds data (" + found.get() + "): not writing to it; pass --destroy-data to"
                    + " overwrite it");
        }
    }

    /** Writes the marker at byte 0: who wrote test data here, and when. */
    static void markScratch(DaxDevice dev, String command) {
        byte[] text = (MARKER + " written by jdax " + command + " at " + Instant.now() + "\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (DaxReadLock ignored = dev.readLock()) {
            DirectAccess da = dev.directAccess(0, 1, DaxAccessMode.WRITE);
            MemorySegment.copy(text, 0, da.addr(), ValueLayout.JAVA_BYTE, 0, text.length);
            dev.arch().writeback(da.addr(), 0, text.length);
            dev.arch().fence();
        }
        dev.flush();
    }

    /** An LVM2 physical volume: "LABELONE" in one of the first four sectors, its type at byte 24 of it. */
    private record LvmLabel() implements Signature {
        @Override
        public long find(Pages dev) {
            for (long sector = 0; sector < 4; sector++) {
                long at = sector * 512;
                if (dev.matches(at, "LABELONE".getBytes(StandardCharsets.ISO_8859_1))
                        && dev.matches(at + 24, "LVM2 001".getBytes(StandardCharsets.ISO_8859_1))) {
                    return at;
                }
            }
            return -1;
        }

        @Override
        public String name() {
            return "an LVM2 physical volume";
        }
    }

    /**
     * ZFS: four 256 KiB labels, two at the start and two at the end (of the size rounded down to
     * 256 KiB), each with an array of uberblocks from its 128th KiB whose first 8 bytes are
     * 0x00bab10c in either byte order. Slots are 1 KiB or larger, so every KiB is looked at.
     */
    private record ZfsLabel() implements Signature {
        private static final long LABEL = 256 * KIB;
        private static final long MAGIC = 0x00bab10cL;

        @Override
        public long find(Pages dev) {
            long end = dev.size / LABEL * LABEL;
            for (long label : new long[] {0, LABEL, end - 2 * LABEL, end - LABEL}) {
                for (long at = label + 128 * KIB; label >= 0 && at < label + LABEL; at += KIB) {
                    byte[] b = dev.read(at, 8);
                    if (b != null) {
                        long le = MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED
                                .withOrder(ByteOrder.LITTLE_ENDIAN), 0);
                        if (le == MAGIC || Long.reverseBytes(le) == MAGIC) {
                            return at;
                        }
                    }
                }
            }
            return -1;
        }

        @Override
        public String name() {
            return "a ZFS label (uberblock magic 0x00bab10c)";
        }
    }

    /** The device's pages, read once each; null for a page past the end or poisoned. */
    private static final class Pages {
        private static final byte[] UNREADABLE = new byte[0];
        private final DaxDevice dev;
        final long size;
        private final Map<Long, byte[]> read = new HashMap<>();

        Pages(DaxDevice dev) {
            this.dev = dev;
            this.size = dev.size();
        }

        byte[] page(long pgoff) {
            if (pgoff < 0 || pgoff >= dev.nrPages()) {
                return null;
            }
            byte[] p = read.computeIfAbsent(pgoff, this::load);
            return p == UNREADABLE ? null : p;
        }

        private byte[] load(long pgoff) {
            try (DaxReadLock ignored = dev.readLock()) {
                DirectAccess da = dev.directAccess(pgoff, 1, DaxAccessMode.READ);
                return da.addr().asSlice(0, PAGE).toArray(ValueLayout.JAVA_BYTE);
            } catch (DaxException e) {
                if (e.errno() == Errno.EIO || e.errno() == Errno.EHWPOISON) {
                    return UNREADABLE; // poisoned media: not readable, not evidence either way
                }
                throw e;
            }
        }

        /** {@code n} bytes at {@code at}, or null when any of them is past the end or unreadable. */
        byte[] read(long at, int n) {
            if (at < 0 || at > size - n) {
                return null;
            }
            byte[] out = new byte[n];
            for (int done = 0; done < n; ) {
                byte[] p = page((at + done) / PAGE);
                if (p == null) {
                    return null;
                }
                int off = (int) ((at + done) % PAGE);
                int len = Math.min(n - done, PAGE - off);
                System.arraycopy(p, off, out, done, len);
                done += len;
            }
            return out;
        }

        boolean matches(long at, byte[] magic) {
            byte[] b = read(at, magic.length);
            return b != null && Arrays.equals(b, magic);
        }
    }

    /** The swap signature's place: the last 10 bytes of the first page, for pages of 4 to 64 KiB. */
    private static long[] swapOffsets() {
        return new long[] {4 * KIB - 10, 8 * KIB - 10, 16 * KIB - 10, 32 * KIB - 10, 64 * KIB - 10};
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** The device holds data and the user did not say to destroy it. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }
}
