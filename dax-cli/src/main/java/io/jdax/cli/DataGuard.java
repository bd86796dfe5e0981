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
import java.time.Instant;
import java.util.Optional;

/**
 * Keeps the destructive commands ({@code bench --device}, {@code selftest}) off devices that hold
 * data: before the first write, {@value #SAMPLED_PAGES} pages spread over the device (the first and
 * the last among them) are read, and any non-zero byte, a filesystem signature (ext2/3/4, XFS, or
 * ours: daxfs), or the marker a previous jdax run left means "holds data" unless the user said
 * {@code --destroy-data}.
 * <p>
 * After a destructive run the commands write {@link #markScratch the marker} at byte 0, so the
 * next refusal can say whose data it is.
 */
final class DataGuard {
    /** Pages read by {@link #inspect}. */
    static final int SAMPLED_PAGES = 64;
    /** The start of the marker a destructive jdax run leaves at byte 0. */
    static final String MARKER = "jdax-scratch:";

    private DataGuard() {
    }

    /**
     * What the device holds, if anything: a sentence for the refusal ("an ext4 filesystem signature
     * at byte 1080"), or empty when every sampled byte is zero. Poisoned pages are passed over.
     */
    static Optional<String> inspect(DaxDevice dev) {
        long pages = dev.nrPages();
        byte[] first = readPage(dev, 0);
        if (first != null) {
            String text = new String(first, 0, 128, StandardCharsets.ISO_8859_1);
            if (text.startsWith(MARKER)) {
                int end = text.indexOf('\n');
                return Optional.of("test data of an earlier jdax run, " + text.substring(MARKER.length(),
                        end < 0 ? text.length() : end).strip());
            }
            if (text.startsWith("JDAXDAXF")) {
                return Optional.of("a jdax daxfs filesystem (its superblock magic at byte 0)");
            }
            if (text.startsWith("XFSB")) {
                return Optional.of("an XFS filesystem signature at byte 0");
            }
            if ((first[1080] & 0xff) == 0x53 && (first[1081] & 0xff) == 0xEF) {
                return Optional.of("an ext2/3/4 filesystem signature at byte 1080");
            }
        }
        for (int i = 0; i < SAMPLED_PAGES; i++) {
            long pgoff = pages <= 1 ? 0 : i * (pages - 1) / (SAMPLED_PAGES - 1);
            byte[] page = i == 0 ? first : readPage(dev, pgoff);
            if (page == null) {
                continue;
            }
            for (int b = 0; b < page.length; b++) {
                if (page[b] != 0) {
                    long at = pgoff * DaxDevice.PAGE_SIZE + b;
                    return Optional.of("non-zero bytes at byte " + at + " (" + Sizes.format(at / DaxDevice.PAGE_SIZE
                            * DaxDevice.PAGE_SIZE) + " in), found among " + Math.min(pages, SAMPLED_PAGES)
                            + " pages sampled");
                }
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

    private static byte[] readPage(DaxDevice dev, long pgoff) {
        try (DaxReadLock ignored = dev.readLock()) {
            DirectAccess da = dev.directAccess(pgoff, 1, DaxAccessMode.READ);
            return da.addr().asSlice(0, DaxDevice.PAGE_SIZE).toArray(ValueLayout.JAVA_BYTE);
        } catch (DaxException e) {
            if (e.errno() == Errno.EIO || e.errno() == Errno.EHWPOISON) {
                return null; // poisoned media: not readable, not evidence either way
            }
            throw e;
        }
    }

    /** The device holds data and the user did not say to destroy it. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }
}
