package io.jdax.it.realdax;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The results of one checks JVM, as {@code KEY=VALUE} lines appended to the results file the host
 * reads ({@code $JDAX_RESULTS/results.txt}), one line at a time and flushed at once: when the JVM
 * dies half-way, every finished check is still there. Keys start with the namespace mode
 * ({@code fsdax.}, {@code devdax.}); a check is {@code MODE.check.NAME=pass (MS ms)} or
 * {@code MODE.check.NAME=fail (MS ms): WHY}. Stack traces go to stderr (the guest console).
 */
final class Report implements AutoCloseable {

    /** The code of one check; anything it throws fails it. */
    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    private final String prefix;
    private final PrintWriter out;
    private int passed;
    private int failed;

    Report(Path file, String mode) throws IOException {
        this.prefix = mode + ".";
        this.out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), true);
    }

    /** A fact the host shows: {@code MODE.KEY=VALUE}, the value on one line. */
    void info(String key, Object value) {
        line(key, oneLine(String.valueOf(value)));
    }

    /** Runs one check and records its outcome; true if it passed. */
    boolean check(String name, Check body) {
        long t = System.nanoTime();
        Throwable failure = null;
        try {
            body.run();
        } catch (Throwable e) {
            failure = e;
        }
        long ms = (System.nanoTime() - t) / 1_000_000;
        if (failure == null) {
            passed++;
            line("check." + name, "pass (" + ms + " ms)");
            System.err.printf("realdax: %s%s passed (%d ms)%n", prefix, name, ms);
            return true;
        }
        failed++;
        line("check." + name, "fail (" + ms + " ms): " + oneLine(describe(failure)));
        System.err.printf("realdax: %s%s FAILED (%d ms)%n", prefix, name, ms);
        failure.printStackTrace();
        return false;
    }

    int passed() {
        return passed;
    }

    int failed() {
        return failed;
    }

    /** A key made of free text (a feature name, a contract): lower case, [a-z0-9_.] only. */
    static String key(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.]+", "_").replaceAll("^_+|_+$", "");
    }

    static String describe(Throwable t) {
        // An AssertionError from a check says what was wrong by itself; anything else is named.
        return t instanceof AssertionError && t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static String oneLine(String s) {
        return s.replace("\r", "").replace("\n", " | ");
    }

    private void line(String key, String value) {
        out.println(prefix + key + "=" + value);
    }

    @Override
    public void close() {
        out.close();
    }
}
