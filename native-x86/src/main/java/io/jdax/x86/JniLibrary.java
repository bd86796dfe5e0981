package io.jdax.x86;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Loads {@code libjdax_x86.so}: from {@value #LIBRARY_PROPERTY} when set, otherwise extracted from
 * this jar into a fresh private directory (mode 0700, unpredictable name — never a fixed /tmp path
 * another user could plant), loaded, and deleted again (Linux keeps a loaded library mapped).
 */
final class JniLibrary {

    /** System property: an absolute path to a libjdax_x86.so to load instead of the jar's. */
    static final String LIBRARY_PROPERTY = "jdax.x86.library";

    /** System property: the directory to extract into (default: {@code java.io.tmpdir}). */
    static final String EXTRACT_DIR_PROPERTY = "jdax.x86.extractDir";

    static final String RESOURCE = "/META-INF/native/linux-x86_64/libjdax_x86.so";

    private JniLibrary() {
    }

    /** Why this platform cannot run the library, or null when it can. */
    static String platformProblem(String osName, String osArch) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "not Linux (os.name=" + osName + ")";
        }
        if (!osArch.equals("amd64") && !osArch.equals("x86_64")) {
            return "not x86-64 (os.arch=" + osArch + ")";
        }
        return null;
    }

    /**
     * Loads the library.
     *
     * @return where it came from, for {@code jdax info}
     * @throws DaxException EOPNOTSUPP saying why it cannot be loaded here
     */
    static String load() {
        String problem = platformProblem(System.getProperty("os.name"), System.getProperty("os.arch"));
        if (problem != null) {
            throw new DaxException(Errno.EOPNOTSUPP, problem);
        }
        String external = System.getProperty(LIBRARY_PROPERTY);
        if (external != null) {
            Path p = Path.of(external);
            if (!p.isAbsolute() || !Files.isReadable(p)) {
                throw new DaxException(Errno.EOPNOTSUPP, "-D" + LIBRARY_PROPERTY + "=" + external
                        + " is not an absolute path to a readable file");
            }
            systemLoad(p);
            return "external " + p;
        }
        try (InputStream in = JniLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new DaxException(Errno.EOPNOTSUPP, "the jar holds no " + RESOURCE
                        + " (native-x86 was built without gcc)");
            }
            return extractAndLoad(in);
        } catch (IOException e) {
            throw new DaxException(Errno.EOPNOTSUPP, "cannot read " + RESOURCE + ": " + e, e);
        }
    }

    private static String extractAndLoad(InputStream in) throws IOException {
        Path parent = Path.of(System.getProperty(EXTRACT_DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
        Path dir;
        try {
            dir = Files.createTempDirectory(parent, "jdax-x86-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new DaxException(Errno.EOPNOTSUPP, "cannot create a private directory in " + parent + ": " + e, e);
        }
        Path lib = dir.resolve("libjdax_x86.so");
        try {
            Files.createFile(lib, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try (var out = Files.newOutputStream(lib, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                in.transferTo(out);
            }
            systemLoad(lib);
            return "extracted from the jar into " + dir + " (removed after loading)";
        } finally {
            Files.deleteIfExists(lib);
            Files.deleteIfExists(dir);
        }
    }

    private static void systemLoad(Path lib) {
        try {
            System.load(lib.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError | IllegalCallerException e) {
            throw new DaxException(Errno.EOPNOTSUPP, "cannot load " + lib + ": " + e.getMessage()
                    + " (a noexec directory? set -D" + EXTRACT_DIR_PROPERTY + "; native access denied? add"
                    + " --enable-native-access=io.jdax.x86 or ALL-UNNAMED)", e);
        }
    }
}
