package io.jdax.daxfs;

import java.util.List;

/**
 * What {@link Fsck} found, and with repair what it did.
 *
 * @param device       the device checked
 * @param errors       damage or inconsistency: a checksum that fails, a block owned twice, a used
 *                     block marked free, ... each naming the structure
 * @param pending      states a crash leaves and mount finishes (an orphan being freed, a truncate
 *                     under way, a journal transaction not yet written home): not errors
 * @param leakedBlocks blocks marked used that no file owns: lost space, reclaimed by repair
 * @param leaks        the leaks in words
 * @param repairs      what repair changed; empty for a check
 * @param remaining    errors a check after the repair still found (must be empty); empty for a check
 */
public record FsckReport(String device, List<String> errors, List<String> pending, long leakedBlocks,
                         List<String> leaks, List<String> repairs, List<String> remaining) {

    /** Copies the lists. */
    public FsckReport {
        errors = List.copyOf(errors);
        pending = List.copyOf(pending);
        leaks = List.copyOf(leaks);
        repairs = List.copyOf(repairs);
        remaining = List.copyOf(remaining);
    }

    /** No error and no leak (pending crash leftovers are fine: mount finishes them). */
    public boolean clean() {
        return errors.isEmpty() && leakedBlocks == 0;
    }

    /** A few lines for people. */
    public String describe() {
        StringBuilder b = new StringBuilder("fsck " + device + ": " + (clean() ? "clean" : errors.size() + " error(s), "
                + leakedBlocks + " leaked block(s)") + "\n");
        errors.forEach(e -> b.append("  error: ").append(e).append('\n'));
        leaks.forEach(e -> b.append("  leak: ").append(e).append('\n'));
        pending.forEach(e -> b.append("  pending: ").append(e).append('\n'));
        repairs.forEach(e -> b.append("  repaired: ").append(e).append('\n'));
        remaining.forEach(e -> b.append("  still wrong after repair: ").append(e).append('\n'));
        return b.toString();
    }
}
