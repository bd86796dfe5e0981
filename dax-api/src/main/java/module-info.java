/**
 * The jdax API: the DAX driver SPI ({@link io.jdax.dax.DaxDriver}), devices and their operations,
 * the {@link io.jdax.uio.IovIter} iterators, and the CPU primitives ({@link io.jdax.arch.Arch}).
 */
module io.jdax.api {
    exports io.jdax.dax;
    exports io.jdax.uio;
    exports io.jdax.arch;

    uses io.jdax.dax.DaxDriver;
    uses io.jdax.arch.ArchProvider;

    provides io.jdax.arch.ArchProvider with io.jdax.arch.PortableArch.Provider;
}
