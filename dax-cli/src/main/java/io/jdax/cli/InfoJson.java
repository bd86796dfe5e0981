package io.jdax.cli;

import io.jdax.arch.ArchSelection;
import io.jdax.arch.Archs;
import io.jdax.bench.LibPmem;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DriverRegistry;
import io.jdax.dax.InstalledDriver;
import io.jdax.dax.UnsafeShutdownCount;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jdax info --json}: what {@code jdax info} prints, as one JSON object, in the manner of
 * {@code ndctl list} / {@code daxctl list} (lower-case keys, sizes in bytes, one object per region,
 * device or mount). The schema is in the README ("jdax info --json"); a test holds the two together.
 */
final class InfoJson {
    private static final Pattern REGION = Pattern.compile("(\\S+): persistence_domain (.*), size (.*)");
    private static final Pattern MOUNT = Pattern.compile("(\\S+) \\(([^,]+), ([^:]+):.*");

    private InfoJson() {
    }

    /** The document, with the device's facts when {@code dev} is not null. */
    static String render(DaxDevice dev, String spec) {
        Json j = new Json().beginObject();
        j.field("jdax", Jdax.version());
        j.name("java").beginObject().field("version", Runtime.version().toString())
                .field("vendor", System.getProperty("java.vendor")).field("home", System.getProperty("java.home"))
                .endObject();
        j.name("os").beginObject().field("name", System.getProperty("os.name")).field("arch", System.getProperty("os.arch"))
                .field("cpus", Runtime.getRuntime().availableProcessors()).endObject();

        PlatformInfo platform = PlatformInfo.system();
        j.name("cpu").beginObject().name("model").string(platform.cpuModel().orElse(null));
        j.name("dax_flags").beginObject();
        for (String f : platform.daxFlags()) {
            boolean missing = f.endsWith("-");
            j.field(missing ? f.substring(0, f.length() - 1) : f, !missing);
        }
        j.endObject().endObject();

        ArchSelection arch = Archs.selection();
        j.name("arch").beginObject().field("name", arch.arch().name()).field("reason", arch.reason());
        j.name("features").beginObject();
        arch.arch().features().forEach(j::field);
        j.endObject().field("cache_writeback", arch.arch().hasCacheWriteback());
        j.name("candidates").beginArray();
        for (ArchSelection.Candidate c : arch.candidates()) {
            j.beginObject().field("name", c.name()).field("priority", c.priority()).field("outcome", c.outcome()).endObject();
        }
        j.endArray().endObject();

        DriverRegistry registry = DaxDevices.registry();
        j.name("drivers").beginArray();
        for (InstalledDriver d : registry.drivers()) {
            j.beginObject().field("scheme", d.scheme()).field("description", d.driver().description())
                    .field("origin", d.origin()).field("version", d.version()).endObject();
        }
        j.endArray().name("driver_failures").beginArray();
        registry.failures().forEach(f -> j.string(f.describe()));
        j.endArray().name("driver_conflicts").beginObject();
        for (Map.Entry<String, List<InstalledDriver>> c : registry.conflicts().entrySet()) {
            j.name(c.getKey()).beginArray();
            c.getValue().forEach(d -> j.string(d.driver().getClass().getName()));
            j.endArray();
        }
        j.endObject();

        j.name("regions").beginArray();
        for (String r : platform.nvdimmRegions()) {
            Matcher m = REGION.matcher(r);
            j.beginObject().field("dev", m.matches() ? m.group(1) : r)
                    .name("persistence_domain").string(m.matches() && !m.group(2).startsWith("(none") ? m.group(2) : null)
                    .field("size", m.matches() ? m.group(3) : "?").endObject();
        }
        j.endArray().name("devices").beginArray();
        for (String d : platform.daxDevices()) {
            String path = d.split(" ", 2)[0];
            j.beginObject().field("path", path).field("mode", path.startsWith("/dev/dax") ? "devdax" : "fsdax").endObject();
        }
        j.endArray().name("mounts").beginArray();
        for (String mnt : platform.daxMounts()) {
            Matcher m = MOUNT.matcher(mnt);
            j.beginObject().field("mountpoint", m.matches() ? m.group(1) : mnt.split(" ", 2)[0])
                    .field("fstype", m.matches() ? m.group(2) : "?").field("dax", m.matches() ? m.group(3) : "dax")
                    .endObject();
        }
        j.endArray();
        boolean libpmem = LibPmem.tryLoad(LibPmem.DEFAULT_LIBRARY).isPresent();
        j.name("libpmem").beginObject().field("library", LibPmem.DEFAULT_LIBRARY).field("installed", libpmem).endObject();

        j.name("properties").beginArray();
        j.beginObject().field("name", Archs.ARCH_PROPERTY).name("value").string(System.getProperty(Archs.ARCH_PROPERTY))
                .field("meaning", "which Arch to use (a provider name); unset: the best that loads").endObject();
        j.beginObject().field("name", DriverRegistry.DRIVER_PROPERTY_PREFIX + "<scheme>").name("value").string(null)
                .field("meaning", "driver class for a scheme served by several drivers").endObject();
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(k -> k.startsWith("jdax.") && !k.equals(Archs.ARCH_PROPERTY))
                .forEach(k -> j.beginObject().field("name", k).field("value", System.getProperty(k))
                        .field("meaning", "(set)").endObject());
        j.endArray();

        j.name("device");
        if (dev == null) {
            j.string(null);
        } else {
            j.beginObject().field("spec", spec).field("name", dev.name()).field("identity", dev.identity().orElse(null)).field("size", dev.size())
                    .field("pages", dev.nrPages()).field("page_size", dev.pageSize()).field("align", dev.alignment())
                    .field("persistence", dev.persistence().name()).field("persistence_reason", dev.persistenceReason())
                    .field("arch", dev.arch().name())
                    .field("write_path", dev.hasOwnCopyFromIter() ? "driver copyFromIter"
                            : switch (dev.persistence()) {
                                case CPU_CACHE -> "core copyFromIterFlushcache";
                                case PERSISTENT_CACHE -> "core copyFromIterEadr";
                                case PAGE_CACHE, VOLATILE -> "core copyFromIterNocache";
                            })
                    .field("flush", switch (dev.persistence()) {
                        case CPU_CACHE, PERSISTENT_CACHE -> "fence";
                        case PAGE_CACHE -> "fence+msync";
                        case VOLATILE -> "none";
                    })
                    .field("deep_flush", dev.hasDeepFlush() ? "driver" : "flush only");
            j.name("platform").beginObject();
            dev.facts().forEach(j::field);
            j.endObject();
            j.name("unsafe_shutdowns").beginObject();
            UnsafeShutdownCount usc = dev.unsafeShutdownCount();
            j.field("state", switch (usc) {
                case UnsafeShutdownCount.Known k -> "known";
                case UnsafeShutdownCount.Unsupported u -> "unsupported";
                case UnsafeShutdownCount.Unreadable u -> "unreadable";
            });
            if (usc instanceof UnsafeShutdownCount.Known k) {
                j.field("count", k.count());
            } else {
                j.name("count").string(null);
            }
            j.field("detail", switch (usc) {
                case UnsafeShutdownCount.Known k -> k.source();
                case UnsafeShutdownCount.Unsupported u -> u.why();
                case UnsafeShutdownCount.Unreadable u -> u.why();
            });
            j.endObject();
            j.name("operations").beginArray().string("directAccess").string("flush");
            if (dev.hasOwnCopyFromIter()) {
                j.string("copyFromIter");
            }
            if (dev.hasOwnCopyToIter()) {
                j.string("copyToIter");
            }
            if (dev.hasZeroPageRange()) {
                j.string("zeroPageRange");
            }
            if (dev.hasRecoveryWrite()) {
                j.string("recoveryWrite");
            }
            j.endArray().field("read_side_fenced", dev.readSideFenced());
            j.name("badblocks");
            if (dev.badBlocks().isPresent()) {
                j.beginArray();
                dev.badBlocks().get().list().forEach(b -> j.string(b.toString()));
                j.endArray();
            } else {
                j.string(null);
            }
            j.endObject();
        }
        return j.endObject().toString() + "\n";
    }
}
