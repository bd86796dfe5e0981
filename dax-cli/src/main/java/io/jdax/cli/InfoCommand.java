package io.jdax.cli;

import io.jdax.arch.ArchSelection;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DriverRegistry;
import io.jdax.dax.InstalledDriver;
import io.jdax.dax.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.jdax.bench.LibPmem;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jdax info}: what this JVM would use, and why. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Shows the Java runtime; the CPU and its DAX-related instructions; the CPU primitives (Arch) in",
                "use, the copy and flush instructions and threshold chosen, and why; the installed drivers; the",
                "persistent memory the machine offers (NVDIMM regions, device DAX, DAX mounts, libpmem); and with",
                "--device the persistence mode a device spec gets, and why."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure, e.g. the device could not be opened (the reason is printed on stderr)",
            "2:bad usage"})
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "Open this device (e.g. pmem:/mnt/pmem/f or brd:ram0?size=64M) and show what it got.")
    String device;

    @Option(names = "--json", description = "Print all of it as one JSON object (ndctl/daxctl list style; the schema is "
            + "in the README).")
    boolean json;

    @Override
    public Integer call() {
        // Open the device first: a bad spec is one clear error, not a report that ends in one.
        try (DaxDevice dev = device == null ? null : DaxDevices.open(device)) {
            return report(dev);
        }
    }

    private Integer report(DaxDevice dev) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(InfoJson.render(dev, device));
            out.flush();
            return 0;
        }
        out.printf("jdax %s%n", Jdax.version());
        out.printf("java: %s (%s) at %s%n", Runtime.version(), System.getProperty("java.vendor"),
                System.getProperty("java.home"));
        out.printf("os: %s %s, %d CPUs%n", System.getProperty("os.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());

        PlatformInfo platform = PlatformInfo.system();
        out.printf("%ncpu: %s%n", platform.cpuModel().orElse("(model unknown: no /proc/cpuinfo)"));
        List<String> flags = platform.daxFlags();
        out.printf("  %-24s %s%n", "DAX-related flags", flags.isEmpty() ? "(unknown)"
                : String.join(" ", flags) + "   (name- = missing)");

        ArchSelection arch = Archs.selection();
        out.printf("%narch: %s (%s)%n", arch.arch().name(), arch.reason());
        for (Map.Entry<String, String> f : arch.arch().features().entrySet()) {
            out.printf("  %-24s %s%n", f.getKey(), f.getValue());
        }
        out.printf("  %-24s %s%n", "cache write-back", arch.arch().hasCacheWriteback() ? "yes" : "no");
        out.println("  candidates:");
        for (ArchSelection.Candidate c : arch.candidates()) {
            out.printf("    %-12s priority %4d  %s%n", c.name(), c.priority(), c.outcome());
        }

        DriverRegistry registry = DaxDevices.registry();
        out.printf("%ndrivers:%n");
        if (registry.drivers().isEmpty()) {
            out.println("  none installed");
        }
        for (InstalledDriver d : registry.drivers()) {
            out.printf("  %-8s %s%n", d.scheme(), d.driver().description());
            out.printf("  %-8s from %s, version %s%n", "", d.origin(), d.version());
        }
        for (DriverRegistry.Failure f : registry.failures()) {
            out.printf("  FAILED   %s%n", f.describe());
        }
        registry.conflicts().forEach((scheme, drivers) -> out.printf("  CONFLICT scheme %s served by %d drivers "
                + "(pick one with -D%s%s=<class>)%n", scheme, drivers.size(), DriverRegistry.DRIVER_PROPERTY_PREFIX, scheme));

        out.printf("%npersistent memory on this machine:%n");
        List<String> regions = platform.nvdimmRegions();
        List<String> devices = platform.daxDevices();
        List<String> mounts = platform.daxMounts();
        if (regions.isEmpty() && devices.isEmpty() && mounts.isEmpty()) {
            out.println("  none found (no NVDIMM region, /dev/dax*, /dev/pmem* or DAX mount): pmem: files get PAGE_CACHE"
                    + " mode; jdax bench emulates pmem in /dev/shm");
        }
        regions.forEach(r -> out.printf("  region   %s%n", r));
        devices.forEach(d -> out.printf("  device   %s%n", d));
        mounts.forEach(m -> out.printf("  mount    %s%n", m));
        out.printf("  libpmem  %s%n", LibPmem.tryLoad(LibPmem.DEFAULT_LIBRARY)
                .map(l -> LibPmem.DEFAULT_LIBRARY + " installed (jdax bench's anchor)")
                .orElse(LibPmem.DEFAULT_LIBRARY + " not installed (jdax bench skips its row; apt-get install libpmem1)"));

        out.printf("%nproperties:%n");
        out.printf("  %-26s %s%n", Archs.ARCH_PROPERTY + "=" + System.getProperty(Archs.ARCH_PROPERTY, ""),
                "which Arch to use (a provider name); unset: the best that loads");
        out.printf("  %-26s %s%n", DriverRegistry.DRIVER_PROPERTY_PREFIX + "<scheme>",
                "driver class for a scheme served by several drivers");
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(k -> k.startsWith("jdax.") && !k.equals(Archs.ARCH_PROPERTY))
                .forEach(k -> out.printf("  %-26s (set)%n", k + "=" + System.getProperty(k)));

        if (dev != null) {
            out.printf("%ndevice %s:%n", device);
            out.printf("  name         %s%n", dev.name());
            out.printf("  identity     %s%n", dev.identity().map(i -> i + " (two opens of this memory, by any name,"
                    + " share it: daxfs mounts it once)").orElse("none: memory only this open reaches"));
            out.printf("  size         %s (%d pages of %d bytes)%n", Sizes.format(dev.size()), dev.nrPages(),
                    dev.pageSize());
            out.printf("  alignment    %s%n", Sizes.format(dev.alignment()));
            out.printf("  persistence  %s: %s%n", dev.persistence(), dev.persistenceReason());
            out.printf("  arch         %s%n", dev.arch().name());
            out.printf("  write path   %s%n", dev.hasOwnCopyFromIter() ? "the driver's own copyFromIter"
                    : switch (dev.persistence()) {
                        case CPU_CACHE -> "the core's fallback copyFromIterFlushcache (non-temporal, cached edges "
                                + "written back: C4)";
                        case PERSISTENT_CACHE -> "the core's fallback copyFromIterEadr (cached below "
                                + dev.arch().eadrNontemporalFrom() + " bytes, non-temporal from there; nothing "
                                + "written back)";
                        case PAGE_CACHE, VOLATILE -> "the core's fallback copyFromIterNocache (non-temporal stores; "
                                + "this device needs no write-back)";
                    });
            out.printf("  flush()      %s%n", switch (dev.persistence()) {
                case CPU_CACHE -> "fence: stores are durable once written back and fenced, no system call";
                case PERSISTENT_CACHE -> "fence: the CPU caches are persistent (eADR), so a fenced store is durable;"
                        + " nothing is written back, no system call";
                case PAGE_CACHE -> "fence, then msync of the pages written since the last flush";
                case VOLATILE -> "nothing survives power loss";
            });
            out.printf("  deepFlush()  %s%n", dev.hasDeepFlush()
                    ? "flush(), then the driver's deep flush (expensive: for unmount-like points, never per write)"
                    : "flush() only: the driver offers nothing deeper");
            out.printf("  platform     what the kernel reports for this device (C12):%n");
            Map<String, String> facts = new java.util.LinkedHashMap<>(dev.facts());
            facts.putIfAbsent("memory", "(the driver does not say)");
            facts.put("unsafe shutdowns", dev.unsafeShutdownCount().describe());
            facts.forEach((k, v) -> out.printf("    %-20s %s%n", k, v));
            out.printf("  operations   directAccess, flush%s%s%s%s (the core supplies the rest)%n",
                    dev.hasOwnCopyFromIter() ? ", copyFromIter" : "",
                    dev.hasOwnCopyToIter() ? ", copyToIter" : "",
                    dev.hasZeroPageRange() ? ", zeroPageRange" : "",
                    dev.hasRecoveryWrite() ? ", recoveryWrite" : "");
            out.printf("  read side    %s%n", dev.readSideFenced()
                    ? "per-thread counters, a fence on entry (the Arch has no process-wide barrier)"
                    : "per-thread counters, no fence: close runs membarrier(2) through the Arch");
            dev.badBlocks().ifPresent(bb -> out.printf("  bad blocks   %s%n",
                    bb.isEmpty() ? "none" : bb.list()));
        }
        out.flush();
        return 0;
    }
}
