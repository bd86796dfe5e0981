package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where a device's bad-block list comes from, translated into the device's own sectors: nowhere
 * (an emulated device: injection only), an nvdimm region (device DAX), or the pmem disk under a
 * DAX filesystem (through the file's extent map).
 */
sealed interface BadBlockSource {

    /** The device's bad sectors as the kernel lists them now. */
    List<BadBlocks.Range> read(long nrSectors);

    /** For messages and {@code jdax info}. */
    String describe();

    /** True when the kernel keeps a list for this device, so a refresh replaces the injected one. */
    default boolean isKernel() {
        return true;
    }

    /** No kernel list: the device's bad blocks are only those injected. */
    record None(String why) implements BadBlockSource {
        @Override
        public List<BadBlocks.Range> read(long nrSectors) {
            return List.of();
        }

        @Override
        public String describe() {
            return "emulated (" + why + "): bad blocks only by injection";
        }

        @Override
        public boolean isKernel() {
            return false;
        }
    }

    /**
     * A device DAX instance's slice of its region's list, which counts sectors from the region's
     * start (the offset trips PMDK users up, NOTES.md). Where the device starts in the region is
     * read from the {@code resource} attributes, which the kernel lets only root read: without it
     * an empty region list still means no bad sector on the device, but a list with entries
     * cannot be placed, and reading it fails with EACCES naming the file and the fix.
     *
     * @param badBlocks     the region's {@code badblocks} file
     * @param offsetBytes   where the device starts in the region, or empty when unknown
     * @param offsetProblem why it is unknown (null when known)
     */
    record Region(Path badBlocks, OptionalLong offsetBytes, String offsetProblem) implements BadBlockSource {
        @Override
        public List<BadBlocks.Range> read(long nrSectors) {
            List<BadBlocks.Range> region = Sysfs.readBadBlocks(badBlocks);
            if (offsetBytes.isPresent()) {
                return shift(region, offsetBytes.getAsLong() / BadBlocks.SECTOR_SIZE, nrSectors);
            }
            if (region.isEmpty()) {
                return List.of(); // none in the region: none on the device, wherever it starts
            }
            long sectors = region.stream().mapToLong(BadBlocks.Range::count).sum();
            throw new DaxException(Errno.EACCES, badBlocks + " lists " + sectors + " bad sector(s) of the region, "
                    + "and where the device starts in it is unknown: " + offsetProblem + ". Open it as root, or let "
                    + "this user read the resource attributes (a udev rule or chmod), or clear the errors first "
                    + "(ndctl clear-errors)");
        }

        @Override
        public String describe() {
            return offsetBytes.isPresent()
                    ? badBlocks + " (region-relative, device starts at byte " + offsetBytes.getAsLong() + ")"
                    : badBlocks + " (region-relative; where the device starts is unknown: " + offsetProblem
                    + "; an empty region list means none on the device, entries make the read fail with EACCES)";
        }
    }

    /**
     * A file on a DAX filesystem over a pmem disk: the disk's list, moved to the partition, then
     * mapped through the file's extents to file sectors (sectors outside the file are not its
     * concern).
     */
    record Disk(Sysfs.PmemDisk disk, Path file) implements BadBlockSource {
        @Override
        public List<BadBlocks.Range> read(long nrSectors) {
            List<BadBlocks.Range> onPartition = shift(Sysfs.readBadBlocks(disk.badBlocks()), disk.startSector(),
                    disk.nrSectors());
            if (onPartition.isEmpty()) {
                return List.of(); // the common case needs no extent map (and no native call)
            }
            return toFile(onPartition, LibC.fiemap(file), nrSectors);
        }

        @Override
        public String describe() {
            return disk.badBlocks() + " through the extents of " + file;
        }
    }

    /** Moves ranges down by {@code offset} sectors, dropping and clipping what falls outside {@code [0, limit)}. */
    static List<BadBlocks.Range> shift(List<BadBlocks.Range> ranges, long offset, long limit) {
        List<BadBlocks.Range> out = new ArrayList<>();
        for (BadBlocks.Range r : ranges) {
            long start = Math.max(r.sector() - offset, 0);
            long end = Math.min(r.end() - offset, limit);
            if (end > start) {
                out.add(new BadBlocks.Range(start, end - start));
            }
        }
        return out;
    }

    /**
     * Maps bad sectors of the block device to sectors of a file through its extents: a bad
     * device byte inside an extent is bad at {@code logical + (byte - physical)} of the file.
     */
    static List<BadBlocks.Range> toFile(List<BadBlocks.Range> device, List<LibC.Extent> extents, long nrSectors) {
        List<BadBlocks.Range> out = new ArrayList<>();
        long fileBytes = nrSectors * BadBlocks.SECTOR_SIZE;
        for (LibC.Extent e : extents) {
            if (!e.hasPhysical()) {
                continue;
            }
            for (BadBlocks.Range r : device) {
                long badStart = r.sector() * BadBlocks.SECTOR_SIZE;
                long badEnd = r.end() * BadBlocks.SECTOR_SIZE;
                long from = Math.max(badStart, e.physical());
                long to = Math.min(badEnd, e.physical() + e.length());
                if (from >= to) {
                    continue;
                }
                long fileFrom = e.logical() + (from - e.physical());
                long fileTo = Math.min(e.logical() + (to - e.physical()), fileBytes);
                if (fileFrom >= fileTo) {
                    continue;
                }
                // A partly bad sector is a bad sector: round outwards.
                long first = fileFrom / BadBlocks.SECTOR_SIZE;
                long end = (fileTo + BadBlocks.SECTOR_SIZE - 1) / BadBlocks.SECTOR_SIZE;
                out.add(new BadBlocks.Range(first, end - first));
            }
        }
        return out;
    }

    /** Wraps a failure to read a kernel list so the message names the device. */
    static DaxException unreadable(String device, BadBlockSource source, DaxException cause) {
        return new DaxException(cause.errno() == Errno.EOPNOTSUPP ? Errno.EIO : cause.errno(),
                device + ": cannot read the kernel's bad-block list from " + source.describe() + ": "
                        + cause.getMessage(), cause);
    }
}
