package io.jdax.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the machine offers for persistent memory, read from {@code /proc} and {@code /sys} (under a
 * root that tests can move): the CPU and its cache and copy instructions, NVDIMM regions and their
 * persistence domain, device DAX and pmem block devices, and filesystems mounted with DAX. Missing
 * files mean "none", never an error: most machines have no persistent memory at all.
 */
final class PlatformInfo {
    /** The CPU flags that matter to DAX, in the order shown. */
    static final List<String> DAX_FLAGS = List.of("sse2", "avx", "avx2", "avx512f", "clflush", "clflushopt", "clwb",
            "movdir64b");

    private final Path root;

    PlatformInfo(Path root) {
        this.root = root;
    }

    /** The running machine's. */
    static PlatformInfo system() {
        return new PlatformInfo(Path.of("/"));
    }

    /** The CPU's model name, from the first processor in /proc/cpuinfo. */
    Optional<String> cpuModel() {
        return cpuinfoField("model name");
    }

    /** The flags of {@link #DAX_FLAGS} the CPU reports, each followed by "-" when missing. */
    List<String> daxFlags() {
        Optional<String> flags = cpuinfoField("flags");
        if (flags.isEmpty()) {
            return List.of();
        }
        Set<String> have = Set.of(flags.get().split("\\s+"));
        return DAX_FLAGS.stream().map(f -> have.contains(f) ? f : f + "-").toList();
    }

    /** NVDIMM regions: "region0: persistence_domain cpu_cache, size 16 GiB". */
    List<String> nvdimmRegions() {
        List<String> out = new ArrayList<>();
        for (Path r : list("sys/bus/nd/devices", "region")) {
            String domain = read(r.resolve("persistence_domain")).orElse("unknown");
            String size = read(r.resolve("size")).map(PlatformInfo::bytes).orElse("?");
            out.add(r.getFileName() + ": persistence_domain " + (domain.isEmpty() ? "(none: flushes needed)" : domain)
                    + ", size " + size);
        }
        return out;
    }

    /** Device DAX character devices and pmem block devices: "/dev/dax0.0", "/dev/pmem0". */
    List<String> daxDevices() {
        List<String> out = new ArrayList<>();
        for (Path p : list("dev", "dax")) {
            out.add("/dev/" + p.getFileName() + " (device DAX: jdax info --device pmem:/dev/" + p.getFileName() + ")");
        }
        for (Path p : list("dev", "pmem")) {
            out.add("/dev/" + p.getFileName() + " (pmem block device: mount a filesystem with -o dax on it)");
        }
        return out;
    }

    /** Mounts with a DAX option: "/mnt/pmem (ext4, dax=always)". */
    List<String> daxMounts() {
        List<String> out = new ArrayList<>();
        for (String line : read(root.resolve("proc/mounts")).orElse("").split("\n")) {
            String[] f = line.split(" ");
            if (f.length >= 4 && Arrays.stream(f[3].split(",")).anyMatch(o -> o.equals("dax") || o.startsWith("dax="))) {
                String opt = Arrays.stream(f[3].split(",")).filter(o -> o.startsWith("dax")).findFirst().orElse("dax");
                out.add(f[1] + " (" + f[2] + ", " + opt + ": jdax info --device pmem:" + f[1] + "/FILE?size=1G&create=true)");
            }
        }
        return out;
    }

    private Optional<String> cpuinfoField(String name) {
        for (String line : read(root.resolve("proc/cpuinfo")).orElse("").split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(name)) {
                return Optional.of(line.substring(colon + 1).strip());
            }
        }
        return Optional.empty();
    }

    private List<Path> list(String dir, String prefix) {
        try (Stream<Path> s = Files.list(root.resolve(dir))) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.ISO_8859_1).strip());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String bytes(String decimal) {
        try {
            return io.jdax.dax.Sizes.format(Long.parseLong(decimal));
        } catch (NumberFormatException e) {
            return decimal;
        }
    }
}
