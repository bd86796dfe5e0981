package io.jdax.it.realdax;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What the CPU reports in {@code /proc/cpuinfo}, and the instructions native-x86 must pick from
 * it: the widest non-temporal copy loop and the best write-back the CPU (and the kernel, which
 * only lists AVX flags it enabled) offers. Read independently of native-x86's own CPUID code, so
 * the two can disagree, and a check can say so.
 */
record CpuFlags(String model, Set<String> flags) {

    /** The flags that decide native-x86's choice, in the order shown. */
    static final String[] RELEVANT = {"sse2", "avx", "avx2", "avx512f", "clflush", "clflushopt", "clwb"};

    static CpuFlags read() throws IOException {
        String model = "?";
        Set<String> flags = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (key.equals("model name") && model.equals("?")) {
                model = value;
            } else if (key.equals("flags") && flags.isEmpty()) {
                flags.addAll(Arrays.asList(value.split("\\s+")));
            }
        }
        if (flags.isEmpty()) {
            throw new IOException("/proc/cpuinfo has no flags line");
        }
        return new CpuFlags(model, flags);
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    /** The copy loop native-x86 must choose: avx512, avx2, sse2 or movnti. */
    String expectedCopy() {
        return has("avx512f") ? "avx512" : has("avx2") ? "avx2" : has("sse2") ? "sse2" : "movnti";
    }

    /** The write-back native-x86 must choose: clwb, clflushopt or clflush. */
    String expectedFlush() {
        return has("clwb") ? "clwb" : has("clflushopt") ? "clflushopt" : "clflush";
    }

    /** The relevant flags, "avx2 clwb ... (no avx512f)". */
    String describe() {
        String present = Arrays.stream(RELEVANT).filter(this::has).collect(Collectors.joining(" "));
        String absent = Arrays.stream(RELEVANT).filter(f -> !has(f)).collect(Collectors.joining(" "));
        return present + (absent.isEmpty() ? "" : " (no " + absent + ")");
    }
}
