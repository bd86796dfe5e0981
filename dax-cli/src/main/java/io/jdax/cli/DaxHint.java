package io.jdax.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What the machine offers for real DAX, for {@code jdax bench}'s first lines, and how to measure
 * it with {@code --device}: bench never writes to such a device unless it is named.
 */
final class DaxHint {
    private DaxHint() {
    }

    /** One line: the DAX devices and mounts found and a --device for each, or that there are none. */
    static String describe(PlatformInfo platform) {
        List<String> found = new ArrayList<>();
        List<String> specs = new ArrayList<>();
        for (String d : platform.daxDevices()) {
            String path = d.split(" ", 2)[0];
            if (path.startsWith("/dev/dax")) {
                found.add(path + " (device DAX)");
                specs.add("--device pmem:" + path + " --destroy-data");
            } else {
                found.add(path + " (pmem block device: mount a filesystem on it with -o dax)");
            }
        }
        for (String m : platform.daxMounts()) {
            String mount = m.split(" ", 2)[0];
            found.add(mount + " (DAX mount)");
            specs.add("--device 'pmem:" + mount + "/jdax-bench.pmem?size=1G&create=true'");
        }
        if (found.isEmpty()) {
            return "no DAX device or mount on this machine (no /dev/dax*, /dev/pmem*, nor a filesystem mounted -o dax)";
        }
        return "this machine has " + String.join(", ", found) + "; not touched"
                + (specs.isEmpty() ? "" : ": measure it with " + String.join(" or ", specs) + " (overwritten)");
    }
}
