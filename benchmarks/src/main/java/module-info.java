/** JMH benchmarks of jdax's persistence paths and their anchors. */
open module io.jdax.benchmarks {
    requires io.jdax.api;
    requires io.jdax.x86;
    requires io.jdax.bench;
    requires io.jdax.daxfs;
    requires jmh.core;
}
