package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The devices mounted in this JVM (the kernel's list of super blocks, which makes a second
 * mount of a block device EBUSY). A device counts as mounted by identity, and by
 * {@code scheme:path} so that two opens of the same pmem file cannot both be mounted. The one
 * piece of static mutable state in daxfs, for the same reason the kernel has it: a second
 * writer of the same metadata would corrupt it.
 */
final class MountTable {
    private static final Map<DaxDevice, String> DEVICES = new IdentityHashMap<>();
    private static final Set<String> PATHS = new HashSet<>();

    private MountTable() {
    }

    static synchronized void claim(DaxDevice device, String what) {
        String key = key(device);
        if (DEVICES.containsKey(device) || (key != null && PATHS.contains(key))) {
            throw new DaxException(Errno.EBUSY, "device " + device.name() + " (" + device.spec() + ") is already mounted"
                    + (what.isEmpty() ? "" : ": " + what));
        }
        DEVICES.put(device, key);
        if (key != null) {
            PATHS.add(key);
        }
    }

    static synchronized void release(DaxDevice device) {
        String key = DEVICES.remove(device);
        if (key != null) {
            PATHS.remove(key);
        }
    }

    private static String key(DaxDevice device) {
        String path = device.spec().path();
        if (path.isEmpty()) {
            return null;
        }
        try {
            path = Path.of(path).toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            // not a file path: the text as given
        }
        return device.spec().scheme() + ":" + path;
    }
}
