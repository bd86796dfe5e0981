/** brd: a sparse RAM DAX device, the simplest driver and the template to copy. */
module io.jdax.brd {
    requires io.jdax.api;
    exports io.jdax.brd;

    provides io.jdax.dax.DaxDriver with io.jdax.brd.BrdDriver;
}
