package io.jdax.x86;

import io.jdax.arch.ArchSelection;
import io.jdax.arch.Archs;

/** Run in a child JVM by {@link NativeLoadingTest}: prints what the selection chose and why. */
public final class ArchProbe {
    private ArchProbe() {
    }

    public static void main(String[] args) {
        ArchSelection s = Archs.selection();
        System.out.println("arch=" + s.arch().name());
        System.out.println("reason=" + s.reason());
        s.arch().features().forEach((k, v) -> System.out.println("feature." + k + "=" + v));
    }
}
