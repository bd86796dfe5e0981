package io.jdax.testkit.conformance;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One check of the driver conformance suite: a name that says the behaviour, the contract it
 * belongs to, and the code. A failed check throws (an {@link AssertionError} naming what was
 * wrong, or whatever the driver threw).
 *
 * @param contract the contract, e.g. {@code C2 directAccess}
 * @param name     the behaviour, e.g. {@code directAccessPastTheEndFailsWithERANGE}
 * @param body     the check
 */
public record ConformanceCheck(String contract, String name, Body body) {

    /** The code of a check. */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs the check.
         *
         * @param scratch a private, empty directory for device files, deleted afterwards
         */
        void run(Path scratch) throws Exception;
    }

    /** Checks the values. */
    public ConformanceCheck {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
    }
}
