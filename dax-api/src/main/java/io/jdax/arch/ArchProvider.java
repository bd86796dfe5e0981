package io.jdax.arch;

/**
 * A {@link java.util.ServiceLoader} service that can create an {@link Arch}. Providers are
 * declared in module-info ({@code provides}) and in {@code META-INF/services}.
 * {@link Archs#current()} picks the provider with the highest {@link #priority()} whose
 * {@link #load()} succeeds, unless {@value Archs#ARCH_PROPERTY} names one.
 */
public interface ArchProvider {

    /** The name {@link Archs#ARCH_PROPERTY} selects this provider by, e.g. {@code native-x86}. */
    String name();

    /** Higher wins when nothing is forced: native-x86 100, portable 0. Below 0: only when named. */
    int priority();

    /**
     * Whether the Arch it loads drives the CPU's own cache instructions (write-back, non-temporal
     * stores): what makes memory durable without a system call. The portable and simulated ones
     * do not; {@link Archs} says so when no provider that does is installed.
     */
    default boolean cacheInstructions() {
        return false;
    }

    /**
     * Creates the Arch, or fails with a {@link io.jdax.dax.DaxException} whose message says why it
     * cannot run here ("not Linux x86-64", "library failed to load: ..."); that reason is what
     * {@code jdax info} shows.
     */
    Arch load();
}
