package io.jdax.daxfs.campaigns;

import io.jdax.testkit.campaign.Workload;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The six workloads are services both ways, so jdax crashtest finds them on the class path and on the module path. */
class WorkloadServicesTest {
    private static final List<String> NAMES = List.of("daxfs-create-write-fsync", "daxfs-append-fsync",
            "daxfs-rename-over", "daxfs-truncate", "daxfs-fallocate", "daxfs-delete");

    @Test
    void theServiceLoaderFindsEveryWorkloadThroughMetaInfServices() {
        List<String> found = ServiceLoader.load(Workload.class).stream().map(ServiceLoader.Provider::get)
                .map(Workload::name).filter(n -> n.startsWith("daxfs-")).toList();
        assertEquals(NAMES, found);
        assertEquals(NAMES, FsCrashWorkloads.all(1).stream().map(Workload::name).toList(), "all() lists the same six");
    }

    @Test
    void moduleInfoProvidesTheSameClasses() throws Exception {
        Path classes = Path.of(FsCrashWorkloads.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        List<String> provided = d.provides().stream().filter(p -> p.service().equals(Workload.class.getName()))
                .flatMap(p -> p.providers().stream()).toList();
        List<String> listed = Files.readAllLines(classes.resolve("META-INF/services/" + Workload.class.getName()));
        assertEquals(listed, provided);
        assertEquals(6, provided.size());
    }
}
