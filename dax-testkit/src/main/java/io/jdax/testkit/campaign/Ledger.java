package io.jdax.testkit.campaign;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a workload promised about the device's bytes: every write it is about to issue
 * ({@link #willWrite}) and every durability point it got back ({@link #acknowledge}). From that
 * it judges a crash image: each byte must hold its acknowledged value or a value written after
 * that acknowledgement; anything else is an <em>acknowledged byte lost</em>. A byte written
 * since its last acknowledgement that does not hold its newest value is <em>torn</em>: allowed,
 * and counted.
 * <p>
 * Offsets are device offsets; the device starts as {@code initial} (zeros for a fresh image).
 * Not thread-safe: a workload is one sequence of operations.
 */
public final class Ledger {

    /** Told of each promise, so a campaign can crash right there. */
    interface Ticker {
        void tick(Tick tick);
    }

    /** A point in the workload's sequence a campaign may crash at. */
    record Tick(Campaign.TickKind kind, String what) {
    }

    private record Write(int epoch, long offset, byte[] data) {
    }

    private final byte[] acked;
    private final byte[] latest;
    private final int[] ackEpoch;
    private final List<Write> log = new ArrayList<>();
    private final Ticker ticker;
    private int epoch;
    private int globalAckEpoch;
    private long writes;
    private long acks;
    private long bytesDeclared;

    Ledger(byte[] initial, Ticker ticker) {
        this.acked = initial.clone();
        this.latest = initial.clone();
        this.ackEpoch = new int[initial.length];
        this.ticker = ticker;
    }

    /** A ledger over a device of {@code size} bytes of zeros, with no campaign listening. */
    public static Ledger ofZeros(int size) {
        return new Ledger(new byte[size], t -> { });
    }

    /** The device size this ledger covers. */
    public long size() {
        return latest.length;
    }

    /**
     * Declares a write before issuing it: from now on a crash may show these bytes or the old
     * ones.
     *
     * @throws DaxException ERANGE when the write is outside the device
     */
    public void willWrite(long offset, byte[] data) {
        Objects.requireNonNull(data, "data");
        checkRange(offset, data.length);
        epoch++;
        writes++;
        bytesDeclared += data.length;
        log.add(new Write(epoch, offset, data.clone()));
        System.arraycopy(data, 0, latest, (int) offset, data.length);
        ticker.tick(new Tick(Campaign.TickKind.WRITE, "before write #" + writes + " [" + offset + ", +"
                + data.length + ")"));
    }

    /** Declares that every write declared so far is durable: the device's flush or fsync returned. */
    public void acknowledge() {
        System.arraycopy(latest, 0, acked, 0, latest.length);
        globalAckEpoch = epoch;
        log.clear();
        acks++;
        ticker.tick(new Tick(Campaign.TickKind.ACK, "after acknowledgement #" + acks + " (all writes)"));
    }

    /** Declares that the writes declared so far are durable within {@code [offset, offset + length)}: a persist returned. */
    public void acknowledge(long offset, long length) {
        checkRange(offset, length);
        System.arraycopy(latest, (int) offset, acked, (int) offset, (int) length);
        Arrays.fill(ackEpoch, (int) offset, (int) (offset + length), epoch);
        acks++;
        ticker.tick(new Tick(Campaign.TickKind.ACK, "after acknowledgement #" + acks + " [" + offset + ", +"
                + length + ")"));
    }

    /** The writes declared so far. */
    public long writes() {
        return writes;
    }

    /** The acknowledgements so far. */
    public long acknowledgements() {
        return acks;
    }

    /** The bytes of all writes declared so far. */
    public long bytesDeclared() {
        return bytesDeclared;
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > latest.length - length) {
            throw new DaxException(Errno.ERANGE, "ledger: [" + offset + ", +" + length + ") is outside the "
                    + latest.length + "-byte device");
        }
    }

    /**
     * A run of acknowledged bytes a crash image lost.
     *
     * @param offset the device offset of the first lost byte
     * @param length how many consecutive bytes
     */
    public record LostRange(long offset, long length) {
        /** The offset after the last lost byte. */
        public long end() {
            return offset + length;
        }

        @Override
        public String toString() {
            return "[" + offset + ", " + end() + ")";
        }
    }

    /**
     * The judgement of one crash image.
     *
     * @param lost  the runs of acknowledged bytes the image does not hold (must be empty)
     * @param torn  bytes written since their acknowledgement that do not hold their newest value
     */
    public record Verdict(List<LostRange> lost, long torn) {
        /** Copies the list. */
        public Verdict {
            lost = List.copyOf(lost);
        }

        /** The number of acknowledged bytes lost. */
        public long lostBytes() {
            return lost.stream().mapToLong(LostRange::length).sum();
        }
    }

    /**
     * Judges what a device holds after a crash.
     *
     * @param image the device's bytes after the reboot, at least {@link #size()} of them
     */
    public Verdict check(byte[] image) {
        if (image.length < latest.length) {
            throw new DaxException(Errno.EINVAL, "a " + image.length + "-byte image cannot be judged against a "
                    + latest.length + "-byte ledger");
        }
        List<LostRange> lost = new ArrayList<>();
        long torn = 0;
        long runStart = -1;
        int i = 0;
        int n = latest.length;
        while (i < n) {
            int m = Arrays.mismatch(image, i, n, latest, i, n);
            if (m < 0) {
                break;
            }
            int at = i + m;
            byte v = image[at];
            boolean ok = v == acked[at] || writtenSinceAck(at, v);
            if (ok) {
                torn++;
            }
            if (!ok && runStart < 0) {
                runStart = at;
            } else if (ok && runStart >= 0) {
                lost.add(new LostRange(runStart, at - runStart));
                runStart = -1;
            }
            if (runStart >= 0 && (at + 1 == n || image[at + 1] == latest[at + 1])) {
                lost.add(new LostRange(runStart, at + 1 - runStart));
                runStart = -1;
            }
            i = at + 1;
        }
        return new Verdict(lost, torn);
    }

    /** Whether {@code v} was written to {@code at} by a write declared after the byte's last acknowledgement. */
    private boolean writtenSinceAck(int at, byte v) {
        int since = Math.max(globalAckEpoch, ackEpoch[at]);
        for (Write w : log) {
            if (w.epoch() > since && at >= w.offset() && at < w.offset() + w.data().length
                    && w.data()[(int) (at - w.offset())] == v) {
                return true;
            }
        }
        return false;
    }
}
