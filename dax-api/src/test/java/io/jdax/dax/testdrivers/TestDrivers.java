package io.jdax.dax.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;

/** Drivers registered in this module's test META-INF/services, each with one defect or none. */
public final class TestDrivers {
    private TestDrivers() {
    }

    /** A healthy driver whose open reports what it was given. */
    public static class Good implements DaxDriver {
        @Override
        public String scheme() {
            return "good";
        }

        @Override
        public DaxDevice open(DeviceSpec spec, Arch arch) {
            throw new DaxException(Errno.ENXIO, "good driver opened " + spec.path() + " with " + arch.name());
        }
    }

    /** A driver whose constructor throws: must be reported and skipped. */
    public static class Throwing implements DaxDriver {
        public Throwing() {
            throw new IllegalStateException("constructor failed on purpose");
        }

        @Override
        public String scheme() {
            return "throwing";
        }

        @Override
        public DaxDevice open(DeviceSpec spec, Arch arch) {
            throw new AssertionError("never constructed");
        }
    }

    /** First of two drivers with one scheme. */
    public static class TwinA extends Good {
        @Override
        public String scheme() {
            return "twin";
        }
    }

    /** Second of two drivers with one scheme. */
    public static class TwinB extends Good {
        @Override
        public String scheme() {
            return "twin";
        }

        @Override
        public DaxDevice open(DeviceSpec spec, Arch arch) {
            throw new DaxException(Errno.ENXIO, "twin B opened " + spec.path());
        }
    }
}
