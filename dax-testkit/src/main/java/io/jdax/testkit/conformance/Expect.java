package io.jdax.testkit.conformance;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.Arrays;

/** The suite's assertions, free of any test framework so {@code jdax selftest} can run it too. */
final class Expect {
    private Expect() {
    }

    interface Call {
        void run() throws Exception;
    }

    static void that(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    static void equal(long expected, long actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    /** The call must fail with a {@link DaxException} carrying one of {@code codes}. */
    static DaxException fails(Call call, String what, Errno... codes) {
        try {
            call.run();
        } catch (DaxException e) {
            if (codes.length > 0 && Arrays.stream(codes).noneMatch(c -> c == e.errno())) {
                throw new AssertionError(what + ": expected " + Arrays.toString(codes) + ", got " + e.getMessage(), e);
            }
            return e;
        } catch (Exception | Error e) {
            throw new AssertionError(what + ": expected a DaxException " + Arrays.toString(codes) + ", got " + e, e);
        }
        throw new AssertionError(what + ": expected a DaxException " + Arrays.toString(codes) + ", but it succeeded");
    }

    /** The bytes must match; the message names the first difference. */
    static void sameBytes(byte[] expected, byte[] actual, String what) {
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
            throw new AssertionError(what + ": first difference at byte " + at + " of " + expected.length
                    + (at < Math.min(expected.length, actual.length)
                    ? " (expected " + expected[at] + ", got " + actual[at] + ")" : " (lengths " + expected.length
                    + " and " + actual.length + ")"));
        }
    }
}
