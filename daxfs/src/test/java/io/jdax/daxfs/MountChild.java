package io.jdax.daxfs;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;

/**
 * The other JVM of {@link MountExclusionTest}: opens the pmem spec it is given, tries to mount
 * it, and prints what happened ({@code mounted N files} or {@code DaxException ERRNO: message}).
 */
public final class MountChild {
    private MountChild() {
    }

    public static void main(String[] args) {
        try (DaxDevice d = DaxDevices.open(args[0], new PortableArch()); DaxFs fs = DaxFs.mount(d)) {
            System.out.println("mounted " + fs.list().size() + " files");
        } catch (DaxException e) {
            System.out.println("DaxException " + e.errno() + ": " + e.getMessage());
        }
    }
}
