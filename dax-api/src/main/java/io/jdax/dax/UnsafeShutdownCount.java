package io.jdax.dax;

import java.util.Objects;

/**
 * How many times the memory under a device lost power without being able to flush what was on
 * its way to the media: libpmem2's unsafe shutdown count ({@code pmem2_source_device_usc}), the
 * sum of the {@code dirty_shutdown} counters of the DIMMs of the device's nvdimm region (ACPI
 * NFIT, {@code /sys/bus/nd/devices/nmemN/nfit/dirty_shutdown}). A filesystem compares it with the
 * count it recorded: a change means a failure may have lost stores that were already fenced, so
 * it checks everything before trusting the media (daxfs runs a full fsck).
 * <p>
 * The three answers differ on purpose: a device with no such counter at all ({@link Unsupported})
 * is not one whose counter could not be read this time ({@link Unreadable}).
 */
public sealed interface UnsafeShutdownCount {

    /** A one-line description for {@code jdax info}: the count and where it was read, or why none. */
    String describe();

    /**
     * The count, as the platform reports it now.
     *
     * @param count  the sum over the device's DIMMs, at least 0
     * @param source where it was read, e.g. {@code "nmem0/nfit/dirty_shutdown + nmem1/nfit/dirty_shutdown"}
     */
    record Known(long count, String source) implements UnsafeShutdownCount {
        /** Checks the count. */
        public Known {
            Objects.requireNonNull(source, "source");
            if (count < 0) {
                throw new IllegalArgumentException("negative unsafe shutdown count " + count);
            }
        }

        @Override
        public String describe() {
            return count + " (" + source + ")";
        }
    }

    /**
     * The device has no such counter: not on NVDIMMs, or the platform does not report it.
     *
     * @param why e.g. "not in an nvdimm region"
     */
    record Unsupported(String why) implements UnsafeShutdownCount {
        /** Checks the reason. */
        public Unsupported {
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String describe() {
            return "unsupported: " + why;
        }
    }

    /**
     * The device has the counter but it could not be read now (permissions, a malformed value).
     *
     * @param why what failed, naming the file
     */
    record Unreadable(String why) implements UnsafeShutdownCount {
        /** Checks the reason. */
        public Unreadable {
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String describe() {
            return "could not be read: " + why;
        }
    }
}
