/**
 * The x86 cache and copy instructions as an {@link io.jdax.arch.Arch}: clwb/clflushopt/clflush,
 * non-temporal copy loops (AVX-512, AVX2, SSE2, movnti) chosen by CPUID, sfence. Preferred over
 * the portable Arch whenever its JNI library loads.
 */
module io.jdax.x86 {
    requires io.jdax.api;
    exports io.jdax.x86;

    provides io.jdax.arch.ArchProvider with io.jdax.x86.NativeArchProvider;
}
