/** The jdax command line: info, bench, crashtest, selftest. */
module io.jdax.cli {
    requires io.jdax.api;
    requires io.jdax.bench;
    requires info.picocli;

    opens io.jdax.cli to info.picocli;
}
