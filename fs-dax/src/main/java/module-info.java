/**
 * fs-dax: the kernel's {@code fs/dax.c} iomap engine in Java (contract C6). A filesystem describes
 * its files as extents through {@link io.jdax.fsdax.IomapOps}; {@link io.jdax.fsdax.DaxIomap}
 * reads, writes, zeroes and maps them straight to and from device memory.
 * {@link io.jdax.fsdax.memfs.MemFs} is a small reference filesystem on top.
 */
module io.jdax.fsdax {
    requires transitive io.jdax.api;

    exports io.jdax.fsdax;
    exports io.jdax.fsdax.memfs;
}
