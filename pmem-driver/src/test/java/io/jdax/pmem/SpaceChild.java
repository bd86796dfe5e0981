package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * The child JVM of the space tests ({@link ChildJvm}), printing what happened for the test to read:
 * <ul>
 *   <li>{@code open SPEC...}: opens and closes each spec in turn with the portable Arch;</li>
 *   <li>{@code fill SPEC}: opens the spec with the JVM's Arch (as emulated pmem when it writes
 *       back, else through the page cache) and writes it from the start in 1 MiB copies until one
 *       fails; exit 0 only if that failure is a DaxException ENOSPC and the bytes written before
 *       it still read back.</li>
 * </ul>
 */
public final class SpaceChild {
    private static final int CHUNK = 1 << 20;

    private SpaceChild() {
    }

    public static void main(String[] args) {
        switch (args[0]) {
            case "open" -> {
                for (int i = 1; i < args.length; i++) {
                    try (DaxDevice d = DaxDevices.open(args[i], new PortableArch())) {
                        System.out.println(i + ": opened " + d.size() + " bytes");
                    } catch (DaxException e) {
                        System.out.println(i + ": DaxException " + e.errno() + ": " + e.getMessage());
                    }
                }
                System.exit(0);
            }
            case "fill" -> System.exit(fill(args[1]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static int fill(String spec) {
        Arch arch = Archs.current();
        String mode = arch.hasCacheWriteback() ? "emulated" : "page_cache";
        System.out.println("arch " + arch.name() + ", mode=" + mode);
        byte[] data = new byte[CHUNK];
        Arrays.fill(data, (byte) 0x5a);
        long written = 0;
        try (DaxDevice d = DaxDevices.open(spec + "&mode=" + mode, arch)) {
            System.out.println("opened " + d.size() + " bytes: " + d.persistenceReason());
            try {
                while (written < d.size()) {
                    written += Iters.write(d, written, IovIter.kvec(IovIter.Direction.SOURCE, data));
                }
                System.out.println("wrote all " + written + " bytes without an error");
                return 2;
            } catch (DaxException e) {
                System.out.println("wrote " + written + " bytes, then DaxException " + e.errno() + ": "
                        + e.getMessage());
                if (e.errno() != io.jdax.dax.Errno.ENOSPC || written == 0) {
                    return 3;
                }
            }
            // The JVM and the device go on: what was written before reads back.
            try (Arena arena = Arena.ofConfined()) {
                Iters.Dest dst = Iters.dest(IovIter.Kind.KVEC, CHUNK, arena);
                Iters.read(d, written - CHUNK, dst.iter());
                boolean same = Arrays.equals(data, dst.bytes().get());
                System.out.println(same ? "the last MiB written reads back" : "the last MiB written reads back WRONG");
                return same ? 0 : 4;
            }
        }
    }
}
