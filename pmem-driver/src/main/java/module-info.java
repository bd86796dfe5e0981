/**
 * pmem: persistent memory from a file (page cache), a file on a DAX filesystem (MAP_SYNC), or
 * device DAX ({@code /dev/daxX.Y}, mapped through FFM). See {@link io.jdax.pmem.PmemDriver}.
 */
module io.jdax.pmem {
    requires io.jdax.api;
    requires jdk.nio.mapmode;
    exports io.jdax.pmem;

    provides io.jdax.dax.DaxDriver with io.jdax.pmem.PmemDriver;
}
